package am

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// Variables the NodeManager sets in every container, and the ones the Floe
// client sets for the ApplicationMaster (see the YARN contract in
// doc.go).
const (
	EnvContainerID   = "CONTAINER_ID"
	EnvNMHost        = "NM_HOST"
	EnvLogDirs       = "LOG_DIRS"
	EnvTokenFile     = "HADOOP_TOKEN_FILE_LOCATION"
	EnvYarnMode      = "FLOE_YARN_MODE"
	EnvStagingDir    = "FLOE_STAGING_DIR"
	EnvJobBinary     = "FLOE_JOB_BINARY"
	EnvJobArgs       = "FLOE_JOB_ARGS"
	EnvParallelism   = conf.EnvParallelism
	EnvHadoopConfDir = conf.EnvHadoopConfDir
)

// Mode is the YARN deployment mode of an application.
type Mode string

// The deployment modes.
const (
	ModeSession     Mode = "session"
	ModePerJob      Mode = "per-job"
	ModeApplication Mode = "application"
)

// ErrNotInContainer is returned by ReadEnv when a variable the NodeManager
// always sets is missing.
var ErrNotInContainer = errors.New("not running in a YARN container")

// ContainerEnv is what the AM learns from its container environment.
type ContainerEnv struct {
	Container yarnrpc.ContainerID
	NMHost    string
	// LogDir is the container's log folder (the first of LOG_DIRS).
	LogDir        string
	TokenFile     string
	HadoopConfDir string
	Mode          Mode
	// StagingDir is the fully qualified <root>/<appId> folder.
	StagingDir string
	// JobBinary is the job binary's HDFS URI (per-job and application).
	JobBinary string
	JobArgs   []string
	// Parallelism is FLOE_PARALLELISM ("" when not given).
	Parallelism string
	User        string
}

// ReadEnv checks and reads the AM container's environment; getenv is
// usually os.Getenv. Every missing or malformed variable is named in the
// error.
func ReadEnv(getenv func(string) string) (ContainerEnv, error) {
	var e ContainerEnv
	var missing, bad []string
	need := func(k string) string {
		v := getenv(k)
		if v == "" {
			missing = append(missing, k)
		}
		return v
	}
	if s := need(EnvContainerID); s != "" {
		id, err := yarnrpc.ParseContainerID(s)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s=%q: %v", EnvContainerID, s, err))
		}
		e.Container = id
	}
	e.NMHost = need(EnvNMHost)
	e.LogDir, _, _ = strings.Cut(need(EnvLogDirs), ",")
	e.TokenFile = need(EnvTokenFile)
	e.HadoopConfDir = need(EnvHadoopConfDir)
	if len(missing) > 0 {
		return e, fmt.Errorf("%w: %s not set (the NodeManager sets them; `floe jobmanager --yarn` runs only as a YARN ApplicationMaster)",
			ErrNotInContainer, strings.Join(missing, ", "))
	}
	e.Mode = Mode(getenv(EnvYarnMode))
	switch e.Mode {
	case ModeSession, ModePerJob, ModeApplication:
	case "":
		missing = append(missing, EnvYarnMode)
	default:
		bad = append(bad, fmt.Sprintf("%s=%q: want session, per-job or application", EnvYarnMode, e.Mode))
	}
	e.StagingDir = need(EnvStagingDir)
	if e.Mode == ModePerJob || e.Mode == ModeApplication {
		e.JobBinary = need(EnvJobBinary)
		if s := getenv(EnvJobArgs); s != "" {
			if err := json.Unmarshal([]byte(s), &e.JobArgs); err != nil {
				bad = append(bad, fmt.Sprintf("%s: want a JSON array of strings: %v", EnvJobArgs, err))
			}
		}
	}
	if e.Parallelism = getenv(EnvParallelism); e.Parallelism != "" {
		if p, err := strconv.Atoi(e.Parallelism); err != nil || p <= 0 {
			bad = append(bad, fmt.Sprintf("%s=%q: want a positive number", EnvParallelism, e.Parallelism))
		}
	}
	e.User = getenv(conf.EnvHadoopUserName)
	if len(missing) > 0 {
		bad = append(bad, strings.Join(missing, ", ")+" not set (the Floe client sets them)")
	}
	if len(bad) > 0 {
		return e, fmt.Errorf("ApplicationMaster environment: %s", strings.Join(bad, "; "))
	}
	return e, nil
}
