/*
 * Say plainly, above the results, when search found nothing or could not reach the bridge, and
 * offer the bridge's "did you mean" for a misspelt query. The worker marks its "Contact support"
 * item with a reason (Material's own count would otherwise read "1 matching document") and
 * sends the suggestion on a BroadcastChannel, since Material passes on only list items.
 */
(function () {
  const result = document.querySelector("[data-md-component=search-result]")
  const input = document.querySelector("[data-md-component=search-query]")
  if (!result || !input) return
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

  const hint = document.createElement("p")
  hint.className = "kb-search-suggestion"
  hint.hidden = true
  meta.after(hint)

  /* Other tabs of the site share the channel: only a suggestion for what this box holds is shown. */
  new BroadcastChannel("kb-search").addEventListener("message", ({ data }) => {
    if (data.query.trim() !== input.value.trim()) return
    if (!data.suggestion) {
      hint.hidden = true
      return
    }
    const retry = document.createElement("button")
    retry.type = "button"
    retry.className = "kb-search-suggestion__retry"
    retry.textContent = data.suggestion
    retry.addEventListener("click", () => {
      input.value = data.suggestion
      input.focus()
      input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }))
    })
    hint.replaceChildren("Did you mean ", retry, "?")
    hint.hidden = false
  })
})()
