package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerServesEmbeddedAssets(t *testing.T) {
	tests := []struct {
		path, want string
		status     int
	}{
		{"/", `<script src="web/app.js">`, http.StatusOK},
		{"/web/app.js", "jobs/overview", http.StatusOK},
		{"/web/dagre.min.js", "graphlib", http.StatusOK},
		{"/web/nope.js", "", http.StatusNotFound},
	}
	h := Handler()
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("GET %s: %d, body lacks %q", tc.path, rec.Code, tc.want)
			}
		})
	}
}
