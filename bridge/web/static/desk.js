/*
 * The reply form's article finder on the review board: "Find articles" asks /api/search (the search
 * customers use) and lists up to five articles, each with "Insert link", which puts the article's
 * title and address into the message where the cursor is. Without this script the same button posts
 * the form, and the page comes back with the results and the draft kept (bridge/web/desk_actions.py).
 * Results are written as text, never as HTML.
 */
(function () {
  const form = document.getElementById("kb-reply")
  if (!form) return
  const LIMIT = 5
  const body = form.querySelector("#kb-body")
  const find = form.querySelector("#kb-find")
  const button = form.querySelector("#kb-find-button")
  const found = document.getElementById("kb-found")
  const site = form.dataset.siteUrl.replace(/\/+$/, "")

  const summary = document.querySelector(".kb-error-summary")
  if (summary) summary.focus()

  button.addEventListener("click", event => {
    event.preventDefault()
    search()
  })
  find.addEventListener("keydown", event => {
    if (event.key === "Enter") {
      event.preventDefault()
      search()
    }
  })

  async function search() {
    const text = find.value.trim()
    if (!text) return
    const url = new URL("/api/search", location.origin)
    url.searchParams.set("q", text)
    url.searchParams.set("limit", String(LIMIT))
    let results = []
    try {
      // X-KB-Desk: the board looking for a link is not a customer's search, so the search log leaves it out.
      const response = await fetch(url, { headers: { Accept: "application/json", "X-KB-Desk": "1" } })
      if (response.ok) results = (await response.json()).results.slice(0, LIMIT)
    } catch (error) {
      results = []
    }
    show(text, results)
  }

  function show(text, results) {
    if (!results.length) {
      const none = document.createElement("p")
      none.textContent = `No articles found for “${text}”.`
      found.replaceChildren(none)
      return
    }
    const list = document.createElement("ul")
    list.className = "kb-found"
    list.replaceChildren(...results.map(item))
    found.replaceChildren(list)
  }

  function item(result) {
    const row = document.createElement("li")
    const title = document.createElement("strong")
    title.textContent = result.title
    const where = document.createElement("small")
    where.textContent = ` ${result.url} `
    const insert = document.createElement("button")
    insert.type = "button"
    insert.className = "md-button kb-insert"
    insert.textContent = "Insert link"
    insert.addEventListener("click", () => place(`${result.title}: ${site}/${result.url.replace(/^\/+/, "")}`))
    row.replaceChildren(title, where, insert)
    return row
  }

  function place(link) {
    const start = body.selectionStart ?? body.value.length
    const end = body.selectionEnd ?? start
    const before = body.value.slice(0, start)
    const after = body.value.slice(end)
    const text = (before && !before.endsWith("\n") ? "\n" : "") + link + (after.startsWith("\n") ? "" : "\n")
    body.value = before + text + after
    body.focus()
    body.setSelectionRange(before.length + text.length, before.length + text.length)
  }
})()
