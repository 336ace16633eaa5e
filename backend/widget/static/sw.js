// The companion page's service worker (scope /m/): the app shell works offline and starts at once.
// Only the page and its versioned assets are cached; member data (API calls, the socket) never is.
const VERSION = "__VERSION__";
const CACHE = `coachtwin-shell-${VERSION}`;
const MODULES = ["chat.js", "companion.js", "inbox.js", "link.js", "md.js", "screen.js", "session.js", "timeline.js", "view.js"];
const ASSETS = ["chat.css", ...MODULES].map(
  (name) => `/widget/assets/${VERSION}/${name}`,
);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("coachtwin-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/widget/assets/")) {
    // Versioned, immutable: the cache first.
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((response) => {
            if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, response.clone()));
            return response;
          }),
      ),
    );
  } else if (request.mode === "navigate" && /^\/m\/[^/]+\/?$/.test(url.pathname)) {
    // The page: the network first (settings may have changed), the cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
    );
  }
});
