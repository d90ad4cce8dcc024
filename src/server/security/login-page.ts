/**
 * The sign-in page of `GET /login`: one field (the server password or an API token), posted as JSON to
 * `POST /auth/login` with `fetch`; on success the browser holds the `spool_session` cookie and goes to
 * `next` (a same-origin path, default `/`). Self-contained: no external scripts, styles or fonts.
 */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Spool</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; background: #f6f6f4; color: #222; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: min(22rem, 90vw); }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; margin-bottom: 1rem; }
  button { padding: .5rem 1rem; font: inherit; }
  #error { color: #b00020; min-height: 1.4em; margin: .5rem 0 0; }
</style>
</head>
<body>
<form id="login">
  <h1>Sign in to Spool</h1>
  <label for="secret">Password or API token</label>
  <input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
  <p id="error" role="alert"></p>
</form>
<script>
  const form = document.getElementById("login")
  const error = document.getElementById("error")
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    error.textContent = ""
    const secret = document.getElementById("secret").value
    const body = secret.startsWith("spool_") ? { token: secret } : { password: secret }
    try {
      const response = await fetch("/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" })
      if (response.ok) {
        const next = new URLSearchParams(location.search).get("next")
        location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/")
        return
      }
      const answer = await response.json().catch(() => undefined)
      error.textContent = (answer && answer.data && answer.data.message) || "Sign-in failed (" + response.status + ")"
    } catch (failure) {
      error.textContent = String(failure)
    }
  })
</script>
</body>
</html>
`
