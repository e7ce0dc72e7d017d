"""What awaits a practitioner.

One read model of what is waiting (`my_work.awaiting`), shown by the web inbox and home
page, App Home and `/concern inbox` (with the viewer's own links, `my_work.linked`), the
chat `inbox` resend (`my_work.resend`) and the daily digest; and the demo console's feed.
"""
