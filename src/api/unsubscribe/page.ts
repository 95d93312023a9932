// The small HTML pages of the one-click unsubscribe link: a confirmation button for
// GET (mail scanners prefetch links, so GET must never unsubscribe, RFC 8058 §4) and
// the result after POST. Pure; used by routes.ts.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>
`;
}

export function confirmPage(list: string, address: string): string {
  return page("Unsubscribe", `<p>Stop mail from <strong>${escape(list)}</strong> to <strong>${escape(address)}</strong>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`);
}

export function donePage(list: string, address: string, wasMember: boolean): string {
  return page("Unsubscribed", wasMember
    ? `<p>${escape(address)} will no longer get mail from <strong>${escape(list)}</strong>.</p>`
    : `<p>${escape(address)} is not subscribed to <strong>${escape(list)}</strong>.</p>`);
}

export function invalidPage(): string {
  return page("Link not valid", "<p>This unsubscribe link is not valid, has expired (links work for 90 days after the message was sent), or its list no longer exists. " +
    "The List-Unsubscribe link of a recent message from the list works.</p>");
}
