package jobmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// The dashboard's buttons: PUT (or POST) /v1/dashboard/jobs/{id}/{action}
// (cancel, savepoint, stop) with a sign-in code in the JSON body
// (api.SignInRequest; `floe dashboard` prints one). They pass YARN's web
// proxy, which forwards GET and PUT with their bodies (not POST, and not
// the Authorization header of signed requests). A savepoint or stop goes to state.savepoints.dir and answers
// a trigger id, polled at GET /jobs/{id}/savepoints/{trigger} as Flink's.

// maxSignInBody bounds the body of a dashboard mutation.
const maxSignInBody = 4 << 10

func (s *Server) dashboardAction(w http.ResponseWriter, r *http.Request) {
	reply(w, r, nil, func(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
		var req api.SignInRequest
		body, err := io.ReadAll(io.LimitReader(r.Body, maxSignInBody+1))
		if err == nil && len(body) > maxSignInBody {
			err = errors.New("body too large")
		}
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, fmt.Errorf("dashboard action: want {\"code\": \"<sign-in code>\"}: %w", err)}
		}
		if err := s.ver.CheckSignInCode(req.Code, time.Now()); err != nil {
			return nil, &httpError{http.StatusUnauthorized, err}
		}
		id, target := r.PathValue("id"), ""
		if s.opts.Config != nil {
			target, _ = s.opts.Config(conf.SavepointsDir)
		}
		switch r.PathValue("action") {
		case "cancel":
			return s.cancel(w, r, nil)
		case "savepoint":
			return s.startOp(id, target, func(ctx context.Context) (string, error) { return s.jm.TriggerSavepoint(ctx, id, target) })
		case "stop":
			return s.startOp(id, target, func(ctx context.Context) (string, error) { return s.jm.StopWithSavepoint(ctx, id, target, false) })
		}
		return nil, &httpError{http.StatusNotFound, fmt.Errorf("dashboard action %q: want cancel, savepoint or stop", r.PathValue("action"))}
	})
}
