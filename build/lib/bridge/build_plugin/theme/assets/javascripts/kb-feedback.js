/*
 * Closes the loop on a search: tells the bridge which result was opened, asks whether the
 * article answered the question, and on "No" offers support with the page and search carried.
 * Without JavaScript, "No" is a plain link to the contact form with the page.
 */
(function () {
  const box = document.querySelector(".kb-feedback")
  if (!box) return
  const siteRoot = new URL(JSON.parse(document.getElementById("__config").textContent).base, location)
  const api = path => new URL(`api/${path}`, siteRoot)
  const page = box.dataset.kbPage
  const key = `kb-search:${page}`
  const params = new URLSearchParams(location.search)

  if (params.has("sid")) {
    sessionStorage.setItem(key, JSON.stringify({ sid: params.get("sid"), q: params.get("sq") || "" }))
    send(`search-events/${encodeURIComponent(params.get("sid"))}/opened`, { url: page + location.hash })
    params.delete("sid")
    params.delete("sq")
    const query = params.toString()
    history.replaceState(history.state, "", location.pathname + (query ? `?${query}` : "") + location.hash)
  }
  const search = JSON.parse(sessionStorage.getItem(key) || "null")

  if (search) {
    for (const link of box.querySelectorAll("a[href*='tickets/new']")) {
      const url = new URL(link.href)
      url.searchParams.set("q", search.q)
      url.searchParams.set("sid", search.sid)
      link.href = url
    }
  }

  box.querySelector(".kb-feedback__yes").addEventListener("click", () => answer(true))
  box.querySelector(".kb-feedback__no").addEventListener("click", event => {
    event.preventDefault()
    answer(false)
  })

  function answer(helpful) {
    send("feedback", { page, helpful, search_id: search ? search.sid : null })
    box.querySelector(".kb-feedback__question").hidden = true
    box.querySelector(helpful ? ".kb-feedback__thanks" : ".kb-feedback__offer").hidden = false
    if (!helpful) box.querySelector(".kb-feedback__offer a").focus()
  }

  function send(path, body) {
    fetch(api(path), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), keepalive: true })
      .catch(() => {})
  }
})()
