// Package dashboard is the JobManager's web dashboard: a single page
// (index.html, app.js, style.css) served at / with every asset embedded in
// the binary, reading Flink's REST paths of the same JobManager.
//
// Every link and request is relative, so the page works at the
// JobManager's own address and through YARN's web proxy
// (/proxy/<application id>/); the page sends a proxy URL without its
// trailing slash to the URL with one, so relative paths resolve under the
// proxy's prefix. Navigation is in the URL's fragment (#/job/<id>), which
// no server or proxy sees. Pages: overview (slots, TaskManagers, jobs by
// state), jobs, a job (its graph drawn by dagre with each vertex's
// parallelism, records and bytes in and out per second, busy and
// backpressured time and watermark; checkpoints; exceptions), the
// JobManager's configuration and logs, TaskManagers with their memory and
// logs. It refreshes every few seconds.
//
// The page holds no credentials. Its cancel, savepoint and stop buttons
// ask once (per browser tab) for the sign-in code `floe dashboard` prints,
// an expiring code derived from the application's secret (api.SignInCode),
// and send it in the body of PUT v1/dashboard/jobs/<id>/<action>: YARN's
// web proxy forwards GET and PUT with their bodies, but not POST, and drops
// the Authorization header of signed requests. A refused code is forgotten and the JobManager's reason shown.
//
// Vendored: dagre 1.1.4 (@dagrejs/dagre, MIT, web/dagre.LICENSE), the
// layered graph layout Flink's own dashboard uses, from npm's
// dist/dagre.min.js (with graphlib bundled).
//
//	mux.Handle("GET /{$}", dashboard.Handler())
//	mux.Handle("GET /web/", dashboard.Handler())
package dashboard
