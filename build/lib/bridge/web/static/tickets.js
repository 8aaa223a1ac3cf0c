/*
 * The contact form's suggestions: as the customer types a subject (debounced 500 ms, at least
 * three characters), up to five articles from /api/search appear under it, each with a
 * "This solved it" button. The articles shown are posted with the ticket, so the desk knows
 * what the customer had already seen. Without this script the form still works and the
 * server suggests articles from the subject itself.
 */
(function () {
  const form = document.querySelector("form.kb-ticket-form")
  if (!form) return
  const DEBOUNCE_MS = 500
  const MIN_CHARS = 3
  const LIMIT = 5
  const subject = form.querySelector("#kb-subject")
  const shown = form.querySelector("#kb-suggested-articles")
  const solvedSubject = document.getElementById("kb-solved-subject")
  const panel = document.getElementById("kb-suggestions")
  const list = document.getElementById("kb-suggestions-list")
  const status = document.getElementById("kb-suggestions-status")
  let timer = null
  let inFlight = null
  let lastText = null

  const summary = document.querySelector(".kb-error-summary")
  if (summary) summary.focus()

  subject.addEventListener("input", () => {
    solvedSubject.value = subject.value
    clearTimeout(timer)
    timer = setTimeout(refresh, DEBOUNCE_MS)
  })
  refresh()

  async function refresh() {
    const text = subject.value.trim()
    if (text === lastText) return
    lastText = text
    if (inFlight) inFlight.abort()
    if (text.length < MIN_CHARS) {
      show([])
      return
    }
    const controller = new AbortController()
    inFlight = controller
    const url = new URL("/api/search", location.origin)
    url.searchParams.set("q", text)
    url.searchParams.set("limit", String(LIMIT))
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      const body = response.ok ? await response.json() : { results: [] }
      show(body.results.slice(0, LIMIT))
    } catch (error) {
      if (error.name !== "AbortError") show([])
    }
  }

  function show(results) {
    list.replaceChildren(...results.map(suggestion))
    panel.hidden = results.length === 0
    shown.value = JSON.stringify(results.map(result => ({ title: result.title, url: result.url })))
    status.textContent = results.length
      ? `${results.length} suggested ${results.length === 1 ? "article" : "articles"} below the subject`
      : ""
  }

  /* The same markup as templates/tickets/_suggestion.html. */
  function suggestion(result) {
    const item = element("li", "kb-suggestion")
    const link = element("a", "kb-suggestion__link", result.title)
    link.href = "/" + result.url.replace(/^\/+/, "")
    link.target = "_blank"
    link.rel = "noopener"
    link.append(element("span", "kb-visually-hidden", " (opens in a new tab)"))
    item.append(link)
    if (result.snippet) {
      const snippet = element("p", "kb-suggestion__snippet")
      snippet.innerHTML = result.snippet /* HTML-escaped by the bridge, with <mark> around matched words */
      item.append(snippet)
    }
    const button = element("button", "md-button kb-suggestion__solved", "This solved it")
    button.type = "submit"
    button.setAttribute("form", "kb-solved")
    button.name = "solved_url"
    button.value = result.url
    button.append(element("span", "kb-visually-hidden", `: ${result.title}`))
    item.append(button)
    return item
  }

  function element(name, className, text) {
    const node = document.createElement(name)
    node.className = className
    if (text) node.textContent = text
    return node
  }
})()
