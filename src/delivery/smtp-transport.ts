// The outgoing SMTP connection pool (nodemailer, pool: true, PIPELINING when the MTA
// offers it) and a send() that reports per recipient: accepted, or refused with the
// reply. A failure of the connection itself (refused, timeout, protocol) throws
// MtaUnavailable so the caller retries the whole set later. Used by send-chunk.ts.
import nodemailer from "nodemailer";

export interface Refusal {
  rcpt: string;
  /** Reply code, 0 when none. */
  code: number;
  /** The full reply line, e.g. "550 5.1.1 No such user". */
  reply: string;
}

export interface SendResult {
  accepted: string[];
  refused: Refusal[];
}

/** The MTA could not be reached or broke off: nobody in this send got the message. */
export class MtaUnavailable extends Error {}

export interface MailerOptions {
  host: string;
  port: number;
  maxConnections: number;
}

export interface Mailer {
  send(from: string, to: string[], raw: Buffer): Promise<SendResult>;
  close(): void;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

export function createMailer(opts: MailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    pool: true,
    maxConnections: opts.maxConnections,
    maxMessages: Infinity,
    // A local MTA relay, as Mailman's default smtp_secure_mode "smtp": plain SMTP.
    ignoreTLS: true,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
  });

  return {
    async send(from, to, raw) {
      try {
        const info = await transport.sendMail({ envelope: { from, to }, raw });
        const errors = ((info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? []);
        const refused = errors.map(refusalOf);
        // Recipients nodemailer listed as rejected without an error object.
        const explained = new Set(refused.map((r) => r.rcpt));
        for (const r of (info.rejected ?? []) as (string | { address: string })[]) {
          const rcpt = typeof r === "string" ? r : r.address;
          if (!explained.has(rcpt)) refused.push({ rcpt, code: 0, reply: "rejected" });
        }
        const accepted = ((info.accepted ?? []) as (string | { address: string })[]).map((a) => (typeof a === "string" ? a : a.address));
        return { accepted, refused };
      } catch (e) {
        const err = e as SmtpError;
        if (err.code === "EENVELOPE" && err.rejectedErrors?.length) {
          // Every recipient was refused at RCPT TO.
          return { accepted: [], refused: err.rejectedErrors.map(refusalOf) };
        }
        if (err.code === "EMESSAGE" && err.responseCode) {
          // The message itself was refused after DATA: the same reply for everyone (as Mailman does).
          return { accepted: [], refused: to.map((rcpt) => ({ rcpt, code: err.responseCode!, reply: err.response ?? err.message })) };
        }
        throw new MtaUnavailable(`${err.code ?? "SMTP"}: ${err.response ?? err.message}`);
      }
    },
    close: () => transport.close(),
  };
}

function refusalOf(err: SmtpError): Refusal {
  return { rcpt: err.recipient ?? "", code: err.responseCode ?? 0, reply: (err.response ?? err.message).slice(0, 500) };
}
