"""What awaits a practitioner.

One read model of what is waiting (`my_work.inbox`), shown by the web inbox, App Home,
`/concern inbox`, the Teams inbox and the daily digest; and the demo console's feed.
"""
