"""A small synthetic vendor (the Acme Helpdesk API), a conforming source for it, and known-bad variants."""
