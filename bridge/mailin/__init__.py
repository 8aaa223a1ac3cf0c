"""Mail in: an email to the support address raises a ticket or joins one; automatic mail never does."""
