package jobmanager

import (
	"net/http"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// checkpoints serves GET /v1/jobs/{id}/checkpoints and Flink's path
// GET /jobs/{id}/checkpoints. A job that does not checkpoint answers with
// zero counts and no latest checkpoint, as Flink's does.
func (s *Server) checkpoints(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
	id := r.PathValue("id")
	if _, err := s.jm.Status(id); err != nil {
		return nil, &httpError{http.StatusNotFound, err}
	}
	st, _ := s.jm.CheckpointStats(id)
	return CheckpointingStatsOf(st), nil
}

// CheckpointingStatsOf converts the coordinator's figures into the REST
// shape.
func CheckpointingStatsOf(st CheckpointStats) api.CheckpointingStats {
	out := api.CheckpointingStats{Counts: api.CheckpointCounts{Restored: st.RestoreCount, InProgress: st.InProgress,
		Completed: st.Completed, Failed: st.Failed, Total: st.InProgress + st.Completed + st.Failed}}
	if l := st.Latest; l != nil {
		out.Latest.Completed = &api.CompletedCheckpoint{ID: l.ID, Status: "COMPLETED", ExternalPath: l.Path,
			StateSize: l.Size, CheckpointedSize: l.Uploaded, EndToEndDuration: l.Duration.Milliseconds(),
			AlignmentDurationMillis: l.Alignment.Milliseconds()}
	}
	if st.Restored > 0 {
		out.Latest.Restored = &api.RestoredCheckpoint{ID: st.Restored}
	}
	if st.LastFailure != "" || st.UndeletedFiles > 0 {
		out.Failure = &api.CheckpointFailureDetail{Message: st.LastFailure, UndeletedFiles: st.UndeletedFiles}
	}
	return out
}
