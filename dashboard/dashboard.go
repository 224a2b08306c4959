package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var assets embed.FS

// Handler serves the dashboard: / is index.html, /web/… the assets.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "web")
	if err != nil {
		panic("dashboard: embedded assets: " + err.Error()) // cannot happen: web is embedded
	}
	files := http.StripPrefix("/web/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/" {
			http.ServeFileFS(w, r, sub, "index.html")
			return
		}
		files.ServeHTTP(w, r)
	})
}

// Assets lists the embedded files (for tests).
func Assets() ([]string, error) {
	var out []string
	err := fs.WalkDir(assets, "web", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	return out, err
}
