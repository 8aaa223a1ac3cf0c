/*
 * Material for MkDocs search worker that asks the kb-bridge server instead of a browser index.
 *
 * Material talks to its search worker with four messages (SETUP, READY, QUERY, RESULT) and
 * renders whatever RESULT carries with its own list, highlighting and keyboard handling, so
 * replacing the worker keeps the theme's look while the bridge does the searching.
 */
const SETUP = 0
const READY = 1
const QUERY = 2
const RESULT = 3

const DEBOUNCE_MS = 150
const SITE_ROOT = new URL("../../", self.location)
/* A random id for this page's searches, so the bridge keeps the query a customer settled on. */
const VISIT = Array.from(crypto.getRandomValues(new Uint8Array(12)), byte => byte.toString(16).padStart(2, "0")).join("")

/* Material's RESULT message carries only list items; "did you mean" reaches the page (kb-search.js) here. */
const suggestions = new BroadcastChannel("kb-search")

let timer = null
let inFlight = null

self.addEventListener("message", ({ data: message }) => {
  if (message.type === SETUP) {
    self.postMessage({ type: READY })
  } else if (message.type === QUERY) {
    schedule(message.data)
  }
})

function schedule(query) {
  clearTimeout(timer)
  if (inFlight) inFlight.abort()
  if (!query.trim()) {
    post([])
    return
  }
  timer = setTimeout(() => search(query), DEBOUNCE_MS)
}

async function search(query) {
  const controller = new AbortController()
  inFlight = controller
  const url = new URL("api/search", SITE_ROOT)
  url.searchParams.set("q", query)
  url.searchParams.set("limit", "10")
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json", "X-KB-Visit": VISIT } })
    if (response.status >= 500) throw new Error(`bridge answered ${response.status}`)
    const body = await response.json()
    post(response.ok ? toItems(body, query) : [contactItem(query, "none", body.error.message)])
    suggestions.postMessage({ query, suggestion: response.ok ? body.suggestion : null })
  } catch (error) {
    if (error.name !== "AbortError") post([contactItem(query, "unavailable")])
  }
}

function post(items) {
  self.postMessage({ type: RESULT, data: { items } })
}

/* One list item per article: its best section first, so Enter opens the article at that section.
   Material compares scores to two decimals (Enter opens the highest), so items carry their rank
   rather than the bridge's score, whose scale says nothing to it. */
function toItems(body, query) {
  /* Not `q`: Material reads `q` on any page as "open the search box with this query". */
  const search = `sid=${encodeURIComponent(body.search_id)}&sq=${encodeURIComponent(query)}`
  if (!body.results.length) return [contactItem(query, "none", null, body.search_id)]
  const items = body.results.map((result, position) => {
    const [article, anchor] = result.url.split("#")
    const location = `${article}?${search}${anchor ? `#${anchor}` : ""}`
    const score = body.results.length - position
    const section = { location, title: escapeHtml(result.section), text: result.snippet, score, terms: {} }
    const parent = { location: `${article}?${search}`, title: escapeHtml(result.title), text: "", score: score - 0.5, terms: {} }
    return result.section === result.title ? [parent] : [section, parent]
  })
  return body.confident === false ? [contactItem(query, "unsure", null, body.search_id), ...items] : items
}

/* "Contact support" as a result, carrying the query (and the search it ended) to the ticket form. */
function contactItem(query, reason, detail, searchId) {
  const search = searchId ? `&sid=${encodeURIComponent(searchId)}` : ""
  const location = `tickets/new?q=${encodeURIComponent(query)}&from=search&reason=${reason}${search}`
  const text = {
    none: "No article matches your search. Our support team can help: your search is carried over.",
    unsure: "We may not have an article about this. Our support team can help: your search is carried over.",
    unavailable: "Search cannot reach the help centre right now. You can still contact support.",
  }[reason]
  return [{ location, title: "Contact support", text: `<p>${escapeHtml(detail || text)}</p>`, score: 0, terms: {} }]
}

function escapeHtml(value) {
  return value.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`)
}
