#!/usr/bin/env python3
"""A list administrator's visit to Debian's Postorius and HyperKitty running on mailroom.

Django's test client drives the pages of the site in settings.py (same SQLite file
as the serve.py process that HyperKitty's archiver API answers on); mailroom is the
Mailman REST API behind them. Steps share state and run in name order.

Environment: settings.py's (WEBUI_DIR, MAILMAN_REST_API_*, MAILMAN_ARCHIVER_KEY),
WEBUI_ADMIN / WEBUI_ADMIN_PASSWORD (the superuser serve.py --init made),
MAILROOM_HTTP (mailroom's root URL, for its native API), MAILROOM_LMTP_PORT,
WEBUI_DOMAIN (default web.example.com). Each step prints what it checked.
"""
import base64
import json
import os
import smtplib
import sys
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, '..', 'mailman-api'))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from session import wait_for  # noqa: E402  (the mailmanclient session's poll)

# Keeps response.context (the rendered forms) on test-client responses.
setup_test_environment()

DOMAIN = os.environ.get('WEBUI_DOMAIN', 'web.example.com')
LIST = 'team@' + DOMAIN
LIST_ID = 'team.' + DOMAIN
ADMIN = os.environ.get('WEBUI_ADMIN', 'admin')
PASSWORD = os.environ['WEBUI_ADMIN_PASSWORD']
ERROR_MARKERS = ('alert-danger', 'Traceback', 'Something went wrong', 'Mailman REST API not available')


def native(method, path, body=None):
    """mailroom's own REST API (not the Mailman one), as its admin."""
    auth = base64.b64encode('{}:{}'.format(os.environ['MAILMAN_REST_API_USER'],
                                           os.environ['MAILMAN_REST_API_PASS']).encode()).decode()
    req = urllib.request.Request(os.environ['MAILROOM_HTTP'] + path, method=method,
                                 headers={'Authorization': 'Basic ' + auth, 'Content-Type': 'application/json'},
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read() or b'null')


def post_lmtp(sender, subject, body='Hello.\n', msgid=None):
    msgid = msgid or subject.replace(' ', '-') + '@web-ui.test'
    msg = ('From: {0}\r\nTo: {1}\r\nSubject: {2}\r\nMessage-ID: <{3}>\r\n'
           'Date: Thu, 03 Dec 2026 12:00:00 +0000\r\n\r\n{4}').format(sender, LIST, subject, msgid, body)
    lmtp = smtplib.LMTP('127.0.0.1', int(os.environ['MAILROOM_LMTP_PORT']))
    try:
        lmtp.sendmail(sender, [LIST], msg)
    finally:
        lmtp.quit()
    return msgid


def form_data(form):
    """What a browser would send back for `form` unchanged (its rendered values)."""
    data = {}
    for bf in form:
        value = bf.field.prepare_value(bf.value())
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[bf.html_name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value or not bf.field.widget.__class__.__name__ == 'CheckboxInput':
                data[bf.html_name] = 'True' if value else 'False'
        else:
            data[bf.html_name] = str(value)
    return data


class Visit(unittest.TestCase):
    c = None

    @classmethod
    def setUpClass(cls):
        cls.c = Client()

    def page(self, path, status=200, **kw):
        """GET a page: 200 and no error page or error message."""
        res = self.c.get(path, follow=True, **kw)
        self.assertEqual(res.status_code, status, '{} answered {}'.format(path, res.status_code))
        self.assertNoError(res, path)
        return res

    def submit(self, path, data, **kw):
        """POST a form, follow the redirect: 200 and no error message."""
        res = self.c.post(path, data, follow=True, **kw)
        self.assertEqual(res.status_code, 200, 'POST {} answered {}'.format(path, res.status_code))
        self.assertNoError(res, 'POST ' + path)
        form = res.context and res.context.get('form')
        if form is not None and form.is_bound and form.errors:
            self.fail('POST {}: form errors {}'.format(path, form.errors.as_json()))
        return res

    def assertShows(self, res, text, shown=True):
        page = res.content.decode('utf-8', 'replace')
        self.assertEqual(text in page, shown, '{!r} {} on {}'.format(text, 'not' if shown else 'still', res.request['PATH_INFO']))

    def assertNoError(self, res, what):
        text = res.content.decode('utf-8', 'replace')
        for marker in ERROR_MARKERS:
            if marker in text:
                start = text.index(marker)
                self.fail('{}: error on the page: {}'.format(what, text[max(0, start - 200):start + 600]))

    # --- log in ---------------------------------------------------------------------------------

    def test_00_login(self):
        res = self.c.post('/accounts/login/', {'login': ADMIN, 'password': PASSWORD}, follow=True)
        self.assertEqual(res.status_code, 200)
        self.assertTrue(res.context['user'].is_superuser, 'the superuser is logged in')

    # --- domains ------------------------------------------------------------------------------

    def test_01_domains(self):
        self.page('/postorius/domains/new/')
        self.submit('/postorius/domains/new/', {'mail_host': DOMAIN, 'description': 'Web UI test', 'site': '1'})
        res = self.page('/postorius/domains/')
        self.assertShows(res, DOMAIN)
        self.page('/postorius/domains/{}/'.format(DOMAIN))
        self.submit('/postorius/domains/{}/'.format(DOMAIN),
                    {'mail_host': DOMAIN, 'description': 'Web UI test domain', 'site': '1'})
        self.page('/postorius/domains/{}/owners'.format(DOMAIN))
        self.page('/postorius/domains/{}/templates'.format(DOMAIN))

    # --- lists ----------------------------------------------------------------------------------

    def test_02_new_list_and_index(self):
        self.page('/postorius/lists/new/')
        self.submit('/postorius/lists/new/', {
            'listname': 'team', 'mail_host': DOMAIN, 'list_owner': ADMIN + '@example.com',
            'advertised': 'True', 'list_style': 'legacy-default', 'description': 'The team'})
        res = self.page('/postorius/lists/')
        self.assertShows(res, LIST)

    def test_03_summary_and_subscribe_form(self):
        res = self.page('/postorius/lists/{}/'.format(LIST_ID))
        self.assertShows(res, 'Subscribe')
        # The logged-in user's subscribe form on the summary page.
        res = self.submit('/postorius/lists/{}/subscribe'.format(LIST_ID), {
            'subscriber': ADMIN + '@example.com', 'display_name': 'Site Admin',
            'delivery_mode': 'regular', 'delivery_status': 'enabled'})
        self.assertShows(res, 'You are subscribed to ' + LIST)
        self.submit('/postorius/lists/{}/anonymous_subscribe'.format(LIST_ID),
                    {'email': 'visitor@example.org', 'display_name': 'Visitor'})

    # --- members --------------------------------------------------------------------------------

    def test_04_members_add(self):
        for role in ('member', 'owner', 'moderator', 'nonmember'):
            self.page('/postorius/lists/{}/members/{}/'.format(LIST_ID, role))
        self.page('/postorius/lists/{}/mass_subscribe/'.format(LIST_ID))
        self.submit('/postorius/lists/{}/mass_subscribe/'.format(LIST_ID), {
            'emails': 'anne@example.org\nBart Person <bart@example.org>\ncris@example.org',
            'pre_verified': 'on', 'pre_confirmed': 'on', 'pre_approved': 'on', 'send_welcome_message': 'default'})
        self.submit('/postorius/lists/{}/members/moderator/'.format(LIST_ID),
                    {'email': 'mod@example.org', 'display_name': 'Mo Derator'})
        res = self.page('/postorius/lists/{}/members/member/'.format(LIST_ID))
        for email in ('anne@example.org', 'bart@example.org', 'cris@example.org'):
            self.assertShows(res, email)

    def test_05_subscription_in_roster(self):
        """A subscription made in Postorius is in mailroom's roster (native API)."""
        members = native('GET', '/lists/{}/members?role=member&limit=100'.format(LIST))
        items = members['items'] if isinstance(members, dict) else members
        emails = sorted(m['address'] for m in items)
        self.assertEqual(emails, [ADMIN + '@example.com', 'anne@example.org', 'bart@example.org', 'cris@example.org'])

    def test_06_member_preferences(self):
        url = '/postorius/lists/{}/members/options/cris@example.org'.format(LIST_ID)
        res = self.page(url)
        data = form_data(res.context['preferences_form'])
        data.update({'formname': 'preferences', 'delivery_status': 'by_moderator'})
        self.submit(url, data)
        member = native('GET', '/lists/{}/members/cris@example.org'.format(LIST))
        self.assertEqual(member['deliveryStatus'], 'by_moderator')
        data = form_data(res.context['moderation_form'])
        data.update({'formname': 'moderation', 'moderation_action': 'hold'})
        self.submit(url, data)
        self.page(url)

    def test_07_members_remove(self):
        self.submit('/postorius/lists/{}/members/member/'.format(LIST_ID), {'choices': ['cris@example.org']})
        self.page('/postorius/lists/{}/remove/moderator/mod@example.org'.format(LIST_ID))
        self.submit('/postorius/lists/{}/remove/moderator/mod@example.org'.format(LIST_ID), {})
        self.page('/postorius/lists/{}/mass_removal/'.format(LIST_ID))
        self.submit('/postorius/lists/{}/mass_removal/'.format(LIST_ID), {'emails': 'bart@example.org'})
        members = native('GET', '/lists/{}/members?role=member&limit=100'.format(LIST))
        items = members['items'] if isinstance(members, dict) else members
        self.assertEqual(sorted(m['address'] for m in items), [ADMIN + '@example.com', 'anne@example.org'])
        self.page('/postorius/lists/{}/csv_view/'.format(LIST_ID))

    # --- settings -------------------------------------------------------------------------------

    CHANGES = {
        'list_identity': {'description': 'Edited in Postorius'},
        'automatic_responses': {'autoresponse_grace_period': '45d'},
        'alter_messages': {'reply_goes_to_list': 'point_to_list'},
        'dmarc_mitigations': {'dmarc_mitigate_action': 'munge_from'},
        'digest': {'digest_size_threshold': '40'},
        'message_acceptance': {'max_message_size': '80'},
        'archiving': {'archive_policy': 'private'},
        'subscription_policy': {'subscription_policy': 'moderate'},
        'bounce_processing': {'bounce_score_threshold': '7'},
    }

    def test_08_settings_tabs(self):
        for section, change in self.CHANGES.items():
            url = '/postorius/lists/{}/settings/{}'.format(LIST_ID, section)
            res = self.page(url)
            data = form_data(res.context['form'])
            data.update(change)
            self.submit(url, data)
            form = self.page(url).context['form']
            for key, value in change.items():
                self.assertEqual(str(form[key].value()), value, '{}.{} saved'.format(section, key))

    def test_09_setting_seen_natively(self):
        """A setting changed in Postorius's form is what mailroom's native GET answers."""
        mlist = native('GET', '/lists/' + LIST)
        self.assertEqual(mlist['description'], 'Edited in Postorius')
        self.assertEqual(mlist['subscriptionPolicy'], 'moderate')

    # --- held messages --------------------------------------------------------------------------

    def test_10_held_messages(self):
        for n in range(4):
            post_lmtp('stranger@example.net', 'Held {}'.format(n))
        url = '/postorius/lists/{}/held_messages'.format(LIST_ID)
        held = wait_for('4 held messages', lambda: (lambda r: r if len(r) == 4 else None)(
            native('GET', '/lists/{}/held'.format(LIST))['items']))
        self.page(url)
        ids = sorted(int(h['requestId']) if 'requestId' in h else int(h['id']) for h in held)
        self.page('/postorius/api/list/{}/held_message/{}/'.format(LIST_ID, ids[0]))
        moderate = '/postorius/lists/{}/held_messages/moderate'.format(LIST_ID)
        self.submit(moderate, {'msgid': ids[0], 'accept': 'Accept'})
        self.submit(moderate, {'msgid': ids[1], 'reject': 'Reject', 'reason': 'Off topic'})
        self.submit(moderate, {'msgid': ids[2], 'discard': 'Discard'})
        self.submit(url, {'choices': [str(ids[3])], 'discard': 'Discard'})
        wait_for('no held messages', lambda: not native('GET', '/lists/{}/held'.format(LIST))['items'])
        self.page(url)

    # --- subscription requests ------------------------------------------------------------------

    def test_11_subscription_requests(self):
        from postorius.utils import get_mailman_client
        mlist = get_mailman_client().get_list(LIST)
        for email in ('dora@example.org', 'ed@example.org', 'flo@example.org'):
            mlist.subscribe(email, pre_verified=True, pre_confirmed=True)
        url = '/postorius/lists/{}/subscription_requests'.format(LIST_ID)
        res = self.page(url)
        requests = {r['email']: r['token'] for r in mlist.get_requests(token_owner='moderator')}
        self.assertEqual(sorted(requests), ['dora@example.org', 'ed@example.org', 'flo@example.org'])
        self.assertShows(res, 'dora@example.org')
        handle = '/postorius/lists/{}/handle_subscription_request/{}/'
        self.submit(handle.format(LIST_ID, requests['dora@example.org']), {'accept': 'Accept'})
        self.submit(handle.format(LIST_ID, requests['ed@example.org']), {'reject': 'Reject', 'reason': 'No'})
        self.submit(handle.format(LIST_ID, requests['flo@example.org']), {'discard': 'Discard'})
        self.assertEqual(mlist.get_requests(token_owner='moderator'), [])
        self.assertIn('dora@example.org', [m.email for m in mlist.members])
        self.page('/postorius/lists/{}/unsubscription_requests'.format(LIST_ID))
        self.page('/postorius/lists/{}/pending_confirmation'.format(LIST_ID))

    # --- bans, header filters -------------------------------------------------------------------

    def test_12_bans(self):
        url = '/postorius/lists/{}/bans/'.format(LIST_ID)
        self.page(url)
        self.submit(url, {'add': 'Ban', 'email': 'spammer@example.net'})
        self.submit(url, {'add': 'Ban', 'email': '^.*@spam\\.example$'})
        self.assertShows(self.page(url), 'spammer@example.net')
        self.submit(url, {'del': 'Unban', 'email': 'spammer@example.net'})
        self.assertShows(self.page(url), 'spammer@example.net', False)
        self.page('/postorius/bans/')
        self.submit('/postorius/bans/', {'add': 'Ban', 'email': 'global@example.net'})
        self.submit('/postorius/bans/', {'del': 'Unban', 'email': 'global@example.net'})

    def test_13_header_filters(self):
        url = '/postorius/lists/{}/header-matches/'.format(LIST_ID)
        res = self.page(url)
        formset = res.context['formset']
        data = {formset.management_form[k].html_name: formset.management_form[k].value()
                for k in formset.management_form.fields}
        extra = formset.forms[-1].prefix
        data.update({extra + '-header': 'x-spam', extra + '-pattern': 'yes', extra + '-action': 'discard'})
        self.submit(url, data)
        res = self.page(url)
        self.assertShows(res, 'x-spam')
        formset = res.context['formset']
        data = {formset.management_form[k].html_name: formset.management_form[k].value()
                for k in formset.management_form.fields}
        for form in formset.forms:
            data.update(form_data(form))
        data[formset.forms[0].prefix + '-DELETE'] = 'on'
        self.submit(url, data)
        self.assertShows(self.page(url), 'x-spam', False)

    # --- templates ------------------------------------------------------------------------------

    def test_14_templates(self):
        base = '/postorius/lists/{}/templates'.format(LIST_ID)
        self.page(base)
        self.page(base + '/new')
        self.submit(base + '/new', {'name': 'list:member:regular:footer', 'data': 'Footer from Postorius'})
        res = self.page(base)
        self.assertShows(res, 'list:member:regular:footer')
        from postorius.models import EmailTemplate
        pk = EmailTemplate.objects.get(name='list:member:regular:footer').pk
        self.page('{}/{}/update'.format(base, pk))
        self.submit('{}/{}/update'.format(base, pk), {'data': 'Footer, edited'})
        self.page('/postorius/api/templates/list/{}/list:member:regular:footer'.format(LIST_ID))
        self.page('{}/{}/delete'.format(base, pk))
        self.submit('{}/{}/delete'.format(base, pk), {})
        dbase = '/postorius/domains/{}/templates'.format(DOMAIN)
        self.submit(dbase + '/new', {'name': 'list:member:regular:header', 'data': 'Domain header'})
        self.page(dbase)

    # --- users, system --------------------------------------------------------------------------

    def test_15_users(self):
        res = self.page('/postorius/users')
        from postorius.utils import get_mailman_client
        user = get_mailman_client().get_user('anne@example.org')
        self.page('/postorius/users/{}/manage'.format(user.user_id))
        self.page('/postorius/system/')
        self.page('/postorius/accounts/subscriptions/')
        self.page('/postorius/accounts/per-address-preferences/')
        self.page('/postorius/accounts/per-subscription-preferences/')
        self.page('/postorius/accounts/mailmansettings/')
        self.assertShows(res, 'anne@example.org')

    def test_16_hyperkitty_pages(self):
        self.page('/hyperkitty/')
        self.page('/hyperkitty/list/{}/'.format(LIST))
        self.page('/postorius/lists/{}/delete'.format(LIST_ID))  # the confirmation page only

    def test_17_public_archive_for_the_posts(self):
        """The archive is public again, so the test's posts can be read from HyperKitty without a login."""
        url = '/postorius/lists/{}/settings/archiving'.format(LIST_ID)
        data = form_data(self.page(url).context['form'])
        data['archive_policy'] = 'public'
        self.submit(url, data)
        self.assertEqual(native('GET', '/lists/' + LIST)['archivePolicy'], 'public')


if __name__ == '__main__':
    unittest.main(verbosity=2, failfast=True)
