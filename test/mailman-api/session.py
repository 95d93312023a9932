#!/usr/bin/env python3
"""A Postorius-style session through Debian's python3-mailmanclient.

Run against any Mailman 3.3 REST API: mailroom (test/mailman-api/session.test.ts
starts one) or GNU Mailman 3.3.8 itself, so the test encodes Mailman's behaviour.
Environment: MAILMAN_REST_URL (…/3.1), MAILMAN_REST_USER, MAILMAN_REST_PASSWORD,
MAILMAN_LMTP_HOST, MAILMAN_LMTP_PORT, SESSION_DOMAIN (default session.example.com).
Steps share state and run in name order, like one admin's visit.
"""
import os
import smtplib
import time
import unittest
from urllib.error import HTTPError

from mailmanclient import Client

DOMAIN = os.environ.get('SESSION_DOMAIN', 'session.example.com')
LIST = 'dev@' + DOMAIN
LIST_ID = 'dev.' + DOMAIN


def client():
    return Client(os.environ['MAILMAN_REST_URL'], os.environ['MAILMAN_REST_USER'],
                  os.environ['MAILMAN_REST_PASSWORD'])


def post(sender, subject, body='Hello.\n'):
    msg = ('From: {0}\r\nTo: {1}\r\nSubject: {2}\r\nMessage-ID: <{3}@session.test>\r\n\r\n{4}'
           .format(sender, LIST, subject, subject.replace(' ', '-'), body))
    lmtp = smtplib.LMTP(os.environ.get('MAILMAN_LMTP_HOST', '127.0.0.1'), int(os.environ['MAILMAN_LMTP_PORT']))
    try:
        lmtp.sendmail(sender, [LIST], msg)
    finally:
        lmtp.quit()


def wait_for(what, predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError('timed out waiting for ' + what)


class Session(unittest.TestCase):
    c = None

    @classmethod
    def setUpClass(cls):
        cls.c = client()

    def mlist(self):
        return self.c.get_list(LIST)

    def test_01_domain_and_list(self):
        self.assertIn(self.c.system['api_version'], ('3.0', '3.1'))
        # Postorius's System information page reads each queue's files.
        self.assertEqual({name: type(q.files) for name, q in self.c.queues.items()}.get('out'), list)
        domain = self.c.create_domain(DOMAIN)
        self.assertEqual(domain.mail_host, DOMAIN)
        self.assertEqual(self.c.get_domain(DOMAIN).mail_host, DOMAIN)
        domain.description = 'Session domain'  # Postorius's domain edit page saves this way
        domain.save()
        self.assertEqual(self.c.get_domain(DOMAIN).description, 'Session domain')
        mlist = domain.create_list('dev')
        self.assertEqual(mlist.list_id, LIST_ID)
        self.assertEqual(mlist.fqdn_listname, LIST)
        self.assertIn(LIST_ID, [l.list_id for l in self.c.get_lists()])
        self.assertEqual([l.list_id for l in domain.lists], [LIST_ID])
        with self.assertRaises(HTTPError) as e:
            self.c.get_list('nosuch@' + DOMAIN)
        self.assertEqual(e.exception.code, 404)

    def test_02_settings(self):
        settings = self.mlist().settings
        self.assertEqual(settings['display_name'], 'Dev')
        self.assertEqual(settings['posting_address'], LIST)
        self.assertIn(settings['subscription_policy'], ('confirm', 'open', 'moderate', 'confirm_then_moderate'))
        settings['description'] = 'Developers of the session'
        settings['send_welcome_message'] = False
        settings['subject_prefix'] = '[dev] '
        settings['digest_size_threshold'] = 40
        settings.save()
        again = self.mlist().settings
        self.assertEqual(again['description'], 'Developers of the session')
        self.assertFalse(again['send_welcome_message'])
        self.assertEqual(again['subject_prefix'], '[dev] ')
        self.assertEqual(again['digest_size_threshold'], 40.0)
        self.assertEqual(self.mlist().description, 'Developers of the session')

    def test_03_subscribe_pre_approved(self):
        member = self.mlist().subscribe('anne@example.com', 'Anne Person',
                                        pre_verified=True, pre_confirmed=True, pre_approved=True)
        self.assertEqual(member.email, 'anne@example.com')
        self.assertEqual(member.role, 'member')
        self.assertTrue(self.mlist().is_member('anne@example.com'))
        self.assertEqual(self.mlist().member_count, 1)

    def test_04_subscribe_then_accept_request(self):
        settings = self.mlist().settings
        settings['subscription_policy'] = 'moderate'
        settings.save()
        pending = self.mlist().subscribe('bart@example.com', 'Bart Person', pre_verified=True, pre_confirmed=True)
        self.assertIn('token', pending)
        self.assertEqual(pending['token_owner'], 'moderator')
        requests = self.mlist().get_requests(token_owner='moderator')
        self.assertEqual([r['email'] for r in requests], ['bart@example.com'])
        self.assertEqual(self.mlist().get_requests_count(), 1)
        self.mlist().accept_request(pending['token'])
        self.assertTrue(self.mlist().is_member('bart@example.com'))
        self.assertEqual(self.mlist().get_requests_count(), 0)

    def test_05_owners_and_moderators(self):
        mlist = self.mlist()
        mlist.add_owner('owner@example.com')
        mlist.add_moderator('mod@example.com')
        mlist.add_moderator('mod2@example.com')
        self.assertEqual([m.email for m in self.mlist().owners], ['owner@example.com'])
        self.assertEqual(sorted(m.email for m in self.mlist().moderators), ['mod2@example.com', 'mod@example.com'])
        self.mlist().remove_moderator('mod2@example.com')
        self.assertEqual([m.email for m in self.mlist().moderators], ['mod@example.com'])
        self.assertTrue(self.mlist().is_owner_or_mod('owner@example.com'))

    def test_06_preferences(self):
        member = self.mlist().get_member('anne@example.com')
        prefs = member.preferences
        prefs['receive_own_postings'] = False
        prefs.save()
        self.assertFalse(self.mlist().get_member('anne@example.com').preferences['receive_own_postings'])
        address = self.c.get_address('anne@example.com')
        address.preferences['receive_list_copy'] = False
        address.preferences.save()
        self.assertFalse(self.c.get_address('anne@example.com').preferences['receive_list_copy'])
        user = self.c.get_user('anne@example.com')
        user.preferences['preferred_language'] = 'en'
        user.preferences['hide_address'] = False
        user.preferences.save()
        again = self.c.get_user('anne@example.com').preferences
        self.assertEqual(again['preferred_language'], 'en')
        self.assertFalse(again['hide_address'])
        again.save()  # nothing changed: an empty PATCH, a no-op in Mailman
        self.assertEqual(self.c.preferences['delivery_mode'], 'regular')

    def test_07_user_addresses_subscriptions(self):
        user = self.c.get_user('anne@example.com')
        self.assertEqual(user.display_name, 'Anne Person')
        self.assertEqual([str(a) for a in user.addresses], ['anne@example.com'])
        self.assertEqual(user.subscription_list_ids, [LIST_ID])
        self.assertEqual([m.list_id for m in user.subscriptions], [LIST_ID])
        user.add_address('anne@work.example.com')
        self.assertEqual(sorted(str(a) for a in self.c.get_user('anne@example.com').addresses),
                         ['anne@example.com', 'anne@work.example.com'])
        address = self.c.get_address('anne@work.example.com')
        self.assertFalse(address.verified)
        address.verify()
        self.assertTrue(self.c.get_address('anne@work.example.com').verified)
        created = self.c.create_user('cris@example.com', 'secret', 'Cris Person')
        self.assertEqual(self.c.get_user('cris@example.com').user_id, created.user_id)

    def test_08_find_members_and_lists(self):
        found = self.mlist().find_members('anne@example.com')
        self.assertEqual([m.email for m in found], ['anne@example.com'])
        self.assertEqual([m.role for m in self.mlist().find_members('owner@example.com', role='owner')], ['owner'])
        self.assertEqual([l.list_id for l in self.c.find_lists('anne@example.com')], [LIST_ID])
        self.assertEqual([l.list_id for l in self.c.find_lists('bart@example.com', role='member')], [LIST_ID])

    def test_09_paging(self):
        mlist = self.mlist()
        for i in range(25):
            mlist.subscribe('p{0:02d}@example.com'.format(i), pre_verified=True, pre_confirmed=True, pre_approved=True)
        page = self.mlist().get_member_page(count=10, page=1)
        self.assertEqual(len(page), 10)
        self.assertEqual(page.total_size, 27)
        self.assertTrue(page.has_next)
        third = page.next.next
        self.assertEqual(len(third), 7)
        self.assertFalse(third.has_next)
        emails = set()
        p = self.mlist().get_member_page(count=10, page=1)
        while True:
            emails.update(m.email for m in p)
            if not p.has_next:
                break
            p = p.next
        self.assertEqual(len(emails), 27)

    def test_10_bans_and_header_matches(self):
        mlist = self.mlist()
        mlist.bans.add('spammer@example.org')
        self.assertIn('spammer@example.org', self.mlist().bans)
        with self.assertRaises(HTTPError) as e:
            self.mlist().subscribe('spammer@example.org', pre_verified=True, pre_confirmed=True, pre_approved=True)
        self.assertEqual(e.exception.code, 400)
        self.c.bans.add('^.*@evil\\.example$')
        self.assertIn('^.*@evil\\.example$', self.c.bans)
        with self.assertRaises(HTTPError) as e:
            self.mlist().subscribe('eve@evil.example', pre_verified=True, pre_confirmed=True, pre_approved=True)
        self.assertEqual(e.exception.code, 400)
        self.mlist().bans.remove('spammer@example.org')
        self.assertNotIn('spammer@example.org', self.mlist().bans)
        self.c.bans.remove('^.*@evil\\.example$')
        matches = self.mlist().header_matches
        matches.add('X-Spam-Flag', 'yes', 'discard')
        matches = self.mlist().header_matches
        self.assertEqual(len(matches), 1)
        self.assertEqual(matches[0].header, 'x-spam-flag')
        self.assertEqual(matches[0].pattern, 'yes')
        self.assertEqual(matches[0].action, 'discard')

    def test_11_held_posts(self):
        post('stranger@example.org', 'held one')
        post('stranger@example.org', 'held two')
        held = wait_for('two held posts', lambda: (lambda h: h if len(h) == 2 else None)(self.mlist().held))
        self.assertEqual(self.mlist().get_held_count(), 2)
        by_subject = {h.subject: h for h in held}
        self.assertEqual(set(by_subject), {'held one', 'held two'})
        self.assertEqual(by_subject['held one'].sender, 'stranger@example.org')
        self.assertIn('held one', self.mlist().get_held_message(by_subject['held one'].request_id).msg)
        self.mlist().accept_message(by_subject['held one'].request_id)
        self.mlist().reject_message(by_subject['held two'].request_id, reason='Not for this list')
        self.assertEqual(self.mlist().get_held_count(), 0)
        with self.assertRaises(HTTPError) as e:
            self.mlist().get_held_message(by_subject['held two'].request_id).subject  # fetched on first use
        self.assertEqual(e.exception.code, 404)

    def test_12_templates(self):
        self.mlist().set_template('list:member:regular:footer', 'http://localhost/footer.txt')
        templates = {t.name: t.uri for t in self.mlist().templates}
        self.assertEqual(templates, {'list:member:regular:footer': 'http://localhost/footer.txt'})
        self.c.get_domain(DOMAIN).set_template('list:member:regular:header', 'http://localhost/header.txt')
        self.assertIn('list:member:regular:header', [t.name for t in self.c.get_domain(DOMAIN).templates])

    def test_13_unsubscribe(self):
        self.mlist().unsubscribe('anne@example.com', pre_confirmed=True, pre_approved=True)
        wait_for('anne unsubscribed', lambda: not self.mlist().is_member('anne@example.com'), 10)
        self.mlist().mass_unsubscribe(['p00@example.com', 'p01@example.com'])
        self.assertFalse(self.mlist().is_member('p00@example.com'))
        self.assertEqual(self.mlist().member_count, 24)

    def test_14_bad_input(self):
        with self.assertRaises(HTTPError) as e:
            self.c.create_domain(DOMAIN)
        self.assertEqual(e.exception.code, 400)
        with self.assertRaises(HTTPError) as e:
            self.c.get_domain('nosuch.example.org')
        self.assertEqual(e.exception.code, 404)
        settings = self.mlist().settings
        settings['subscription_policy'] = 'whenever'
        with self.assertRaises(HTTPError) as e:
            settings.save()
        self.assertEqual(e.exception.code, 400)

    def test_14b_archivers(self):
        # No HyperKitty or mail-archive configured here: only the built-in archive is offered.
        archivers = self.mlist().archivers
        self.assertEqual(dict(archivers), {'prototype': True})
        archivers['prototype'] = False  # mailmanclient saves at once (PATCH)
        self.assertEqual(dict(self.mlist().archivers), {'prototype': False})
        self.mlist().archivers['prototype'] = True
        self.assertEqual(self.mlist().settings['archive_policy'], 'public')

    def test_15_delete_list_and_domain(self):
        self.mlist().delete()
        with self.assertRaises(HTTPError) as e:
            self.c.get_list(LIST)
        self.assertEqual(e.exception.code, 404)
        self.c.delete_domain(DOMAIN)
        with self.assertRaises(HTTPError) as e:
            self.c.get_domain(DOMAIN)
        self.assertEqual(e.exception.code, 404)
        for email in ('anne@example.com', 'cris@example.com'):
            try:
                self.c.get_user(email).delete()
            except HTTPError:
                pass


if __name__ == '__main__':
    unittest.main(verbosity=2)
