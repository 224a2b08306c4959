package jobmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// savepoint serves POST /v1/jobs/{id}/savepoints (signed): it takes a
// savepoint and answers with its folder when complete. Flink's
// POST /jobs/:jobid/savepoints answers a trigger id to poll instead; this
// one answers synchronously, within api.SavepointWait.
func (s *Server) savepoint(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	id := r.PathValue("id")
	var req api.SavepointRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, &httpError{http.StatusBadRequest, fmt.Errorf("savepoint of job %s: decode request: %w", id, err)}
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), api.SavepointWait)
	defer cancel()
	dir, err := s.jm.TriggerSavepoint(ctx, id, req.TargetDirectory)
	switch {
	case errors.Is(err, ErrJobNotFound):
		return nil, &httpError{http.StatusNotFound, err}
	case errors.Is(err, ErrNoSavepointTarget):
		return nil, &httpError{http.StatusBadRequest, err}
	case err != nil:
		return nil, err
	}
	return api.SavepointResponse{Location: dir}, nil
}
