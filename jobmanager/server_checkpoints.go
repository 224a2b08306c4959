package jobmanager

import (
	"net/http"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// checkpoints serves GET /v1/jobs/{id}/checkpoints and Flink's path
// GET /jobs/{id}/checkpoints. A job without periodic checkpoints counts
// its savepoints only, as Flink's does.
func (s *Server) checkpoints(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
	id := r.PathValue("id")
	if _, err := s.jm.Status(id); err != nil {
		return nil, &httpError{http.StatusNotFound, err}
	}
	st, _ := s.jm.CheckpointStats(id)
	return checkpointingStatsOf(st, time.Now()), nil
}

// checkpointingStatsOf converts the coordinator's figures into the REST
// shape; now ends the duration of a checkpoint in progress.
func checkpointingStatsOf(st CheckpointStats, now time.Time) api.CheckpointingStats {
	out := api.CheckpointingStats{Counts: api.CheckpointCounts{Restored: st.RestoreCount, InProgress: st.InProgress,
		Completed: st.Completed, Failed: st.Failed, Total: st.InProgress + st.Completed + st.Failed},
		History: []api.CheckpointStatistics{}}
	for _, h := range st.History {
		out.History = append(out.History, checkpointStatistics(h, now))
	}
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

// checkpointStatistics is one History entry in Flink's shape.
func checkpointStatistics(h CheckpointHistory, now time.Time) api.CheckpointStatistics {
	end := h.Ended
	if end.IsZero() {
		end = now
	}
	kind := "CHECKPOINT"
	switch {
	case h.Stop:
		kind = "SYNC_SAVEPOINT"
	case h.Savepoint:
		kind = "SAVEPOINT"
	}
	out := api.CheckpointStatistics{ClassName: strings.ToLower(h.Status), ID: h.ID, Status: h.Status, IsSavepoint: h.Savepoint,
		CheckpointType: kind, TriggerTimestamp: h.Triggered.UnixMilli(), StateSize: h.Size, CheckpointedSize: h.Uploaded,
		EndToEndDuration: end.Sub(h.Triggered).Milliseconds(), NumSubtasks: h.Subtasks, NumAcknowledgedSubtasks: h.Acked,
		ExternalPath: h.Path}
	if !h.LatestAck.IsZero() {
		out.LatestAckTimestamp = h.LatestAck.UnixMilli()
	}
	if h.Status == CheckpointFailed {
		out.FailureTimestamp, out.FailureMessage = h.Ended.UnixMilli(), h.Failure
	}
	return out
}
