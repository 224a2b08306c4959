package am

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
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
	Mode          contract.Mode
	// StagingDir is the fully qualified <root>/<appId> folder.
	StagingDir string
	// JobBinary is the job binary's HDFS URI (per-job and application).
	JobBinary string
	JobArgs   []string
	// JobID is the id the client chose for the job (per-job and
	// application; "" lets the JobManager choose).
	JobID string
	// Parallelism is FLOE_PARALLELISM ("" when not given).
	Parallelism string
	// Attempts is how many ApplicationMaster attempts the application has
	// (FLOE_APP_ATTEMPTS, default 1); Attempt is this one's number (from
	// CONTAINER_ID).
	Attempts int
	User     string
	// ShipFiles are yarn.ship-files (contract.EnvShipFiles).
	ShipFiles []contract.ShippedFile
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
	if s := need(yarnrpc.EnvContainerID); s != "" {
		id, err := yarnrpc.ParseContainerID(s)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s=%q: %v", yarnrpc.EnvContainerID, s, err))
		}
		e.Container = id
	}
	e.NMHost = need(yarnrpc.EnvNMHost)
	e.LogDir, _, _ = strings.Cut(need(yarnrpc.EnvLogDirs), ",")
	e.TokenFile = need(yarnrpc.EnvTokenFile)
	e.HadoopConfDir = need(contract.EnvHadoopConfDir)
	if len(missing) > 0 {
		return e, fmt.Errorf("%w: %s not set (the NodeManager sets them; `floe jobmanager --yarn` runs only as a YARN ApplicationMaster)",
			ErrNotInContainer, strings.Join(missing, ", "))
	}
	e.Mode = contract.Mode(getenv(contract.EnvYarnMode))
	switch e.Mode {
	case contract.ModeSession, contract.ModePerJob, contract.ModeApplication:
	case "":
		missing = append(missing, contract.EnvYarnMode)
	default:
		bad = append(bad, fmt.Sprintf("%s=%q: want session, per-job or application", contract.EnvYarnMode, e.Mode))
	}
	e.StagingDir = need(contract.EnvStagingDir)
	if e.Mode == contract.ModePerJob || e.Mode == contract.ModeApplication {
		e.JobBinary = need(contract.EnvJobBinary)
		if s := getenv(contract.EnvJobArgs); s != "" {
			if err := json.Unmarshal([]byte(s), &e.JobArgs); err != nil {
				bad = append(bad, fmt.Sprintf("%s: want a JSON array of strings: %v", contract.EnvJobArgs, err))
			}
		}
		if e.JobID = getenv(contract.EnvJobID); e.JobID != "" && !validJobID(e.JobID) {
			bad = append(bad, fmt.Sprintf("%s=%q: want 32 hex digits", contract.EnvJobID, e.JobID))
		}
	}
	if e.Parallelism = getenv(contract.EnvParallelism); e.Parallelism != "" {
		if p, err := strconv.Atoi(e.Parallelism); err != nil || p <= 0 {
			bad = append(bad, fmt.Sprintf("%s=%q: want a positive number", contract.EnvParallelism, e.Parallelism))
		}
	}
	e.Attempts = 1
	if s := getenv(contract.EnvAppAttempts); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n <= 0 {
			bad = append(bad, fmt.Sprintf("%s=%q: want a positive number", contract.EnvAppAttempts, s))
		} else {
			e.Attempts = n
		}
	}
	e.User = getenv(contract.EnvHadoopUserName)
	if s := getenv(contract.EnvShipFiles); s != "" {
		var err error
		if e.ShipFiles, err = contract.DecodeShipFiles(s); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(missing) > 0 {
		bad = append(bad, strings.Join(missing, ", ")+" not set (the Floe client sets them)")
	}
	if len(bad) > 0 {
		return e, fmt.Errorf("ApplicationMaster environment: %s", strings.Join(bad, "; "))
	}
	return e, nil
}

// validJobID reports whether id is 32 lower-case hex digits, as the client
// writes job ids.
func validJobID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// Attempt is this ApplicationMaster's attempt number (1 for the first),
// from its container id.
func (e ContainerEnv) Attempt() int { return max(1, int(e.Container.Attempt.Attempt)) }
