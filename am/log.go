package am

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/floe-yarn/floe/contract"
	"github.com/rs/zerolog"
)

// OpenLog opens <logDir>/jobmanager.log for the AM's zerolog JSON lines
// (YARN keeps the container log folder after the container ends and
// aggregates it when log aggregation is on).
func OpenLog(logDir string, level zerolog.Level) (zerolog.Logger, io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(logDir, contract.LogJobManager), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return zerolog.Logger{}, nil, fmt.Errorf("am: log file: %w", err)
	}
	return zerolog.New(f).Level(level).With().Timestamp().Logger(), f, nil
}
