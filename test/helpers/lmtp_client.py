# Drives python3's stdlib smtplib.LMTP one step at a time for the LMTP tests: reads
# one JSON request per line on stdin, answers one JSON line on stdout. Mirrors the
# seed doctest's helpers.get_lmtp_client() session.
import json
import smtplib
import sys

host, port = sys.argv[1], int(sys.argv[2])
lmtp = smtplib.LMTP()
greeting = None


def text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


for raw in sys.stdin:
    req = json.loads(raw)
    op = req["op"]
    try:
        if op == "greeting":
            code, msg = lmtp.connect(host, port)
            out = [code, text(msg)]
        elif op == "lhlo":
            code, msg = lmtp.ehlo(req["name"])  # smtplib.LMTP sends LHLO for ehlo()
            out = [code, text(msg)]
        elif op == "sendmail":
            refused = lmtp.sendmail(req["from"], req["to"], req["message"].encode("utf-8"))
            out = {"refused": {k: [c, text(m)] for k, (c, m) in refused.items()}}
        elif op == "transaction":
            # smtplib.LMTP reads a single reply after DATA (it inherits SMTP.data);
            # RFC 2033 4.2 sends one per accepted RCPT, so read the others with
            # getreply(), then NOOP to show that nothing else was left to read.
            lmtp.sock.settimeout(30)  # a missing reply fails the test instead of hanging it
            lmtp.mail(req["from"])
            rcpt = [list(lmtp.rcpt(to)) for to in req["to"]]
            accepted = sum(1 for code, _ in rcpt if code == 250)
            final = [list(lmtp.data(req["message"].encode("utf-8")))]
            final += [list(lmtp.getreply()) for _ in range(accepted - 1)]
            noop = list(lmtp.noop())
            out = {"rcpt": [[c, text(m)] for c, m in rcpt], "final": [[c, text(m)] for c, m in final],
                   "noop": [noop[0], text(noop[1])]}
        elif op == "quit":
            lmtp.quit()
            out = "bye"
        else:
            out = {"error": "unknown op"}
    except smtplib.SMTPRecipientsRefused as e:
        out = {"error": "SMTPRecipientsRefused", "code": None, "message": "",
               "recipients": {k: [c, text(m)] for k, (c, m) in e.recipients.items()}}
    except smtplib.SMTPResponseException as e:
        out = {"error": type(e).__name__, "code": e.smtp_code, "message": text(e.smtp_error)}
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        out = {"error": type(e).__name__, "code": None, "message": str(e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
