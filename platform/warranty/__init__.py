"""The warranty context: claims raised from repair orders, judged as of the repair date, decided by HQ."""
