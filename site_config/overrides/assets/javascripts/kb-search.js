/*
 * Say plainly, above the results, when search found nothing or could not reach the bridge.
 * The worker marks its "Contact support" item with a reason; Material's own count would
 * otherwise read "1 matching document".
 */
(function () {
  const result = document.querySelector("[data-md-component=search-result]")
  if (!result) return
  const meta = result.querySelector(".md-search-result__meta")
  const list = result.querySelector(".md-search-result__list")
  const messages = {
    none: "No matching articles",
    unsure: "We may not have an article that answers this",
    unavailable: "Search is unavailable right now",
  }
  new MutationObserver(() => {
    const first = list.querySelector("a.md-search-result__link")
    if (!first) return
    const url = new URL(first.href)
    if (url.pathname.endsWith("/tickets/new") && messages[url.searchParams.get("reason")]) {
      meta.textContent = messages[url.searchParams.get("reason")]
    }
  }).observe(list, { childList: true })
})()
