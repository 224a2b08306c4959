package contract

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Names inside the per-application staging folder
// (<StagingRoot>/<appId>/) and the link names of localized resources.
const (
	// StagingRootName is the folder under the user's home (or
	// yarn.staging-directory) that holds one folder per application.
	StagingRootName = ".floe"
	// LinkFramework is the floe binary in the AM container.
	LinkFramework = "floe"
	// LinkJob is the job binary in TaskManager containers (and in the AM
	// container in application mode).
	LinkJob = "job"
	// FileConf is Floe's configuration file, in EnvConfDir and staged.
	FileConf = "floe-conf.yaml"
	// FileJobGraph is the serialized job graph staged in per-job mode.
	FileJobGraph = "job.graph"
	// FileSecret is the staged copy of the application secret.
	FileSecret = "secret"
	// DirShip holds the staged files of yarn.ship-files.
	DirShip = "ship"
)

// Log files in a container's log folder.
const (
	LogJobManager  = "jobmanager.log"
	LogTaskManager = "taskmanager.log"
)

// AMCommand is the AM container's command; <LOG_DIR> is expanded by the
// NodeManager.
const AMCommand = "./" + LinkFramework + " jobmanager --yarn 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.err"

// TaskManagerCommand is a TaskManager container's command: the job binary
// with its arguments (shell-quoted: the NodeManager runs it through bash),
// output into the container's log folder.
func TaskManagerCommand(args []string) string {
	var b strings.Builder
	b.WriteString("./" + LinkJob)
	for _, a := range args {
		b.WriteString(" " + ShellQuote(a))
	}
	b.WriteString(" 1><LOG_DIR>/taskmanager.out 2><LOG_DIR>/taskmanager.err")
	return b.String()
}

// ShellQuote quotes s for bash: plain words stay as they are, anything
// else goes in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShippedFile is one staged file of yarn.ship-files as YARN localizes it:
// its fully qualified URL, size and modification time (ms).
type ShippedFile struct {
	// Link is the name in the container's working folder.
	Link      string `json:"link"`
	URL       string `json:"url"`
	Size      int64  `json:"size"`
	Timestamp int64  `json:"timestamp"`
}

// EncodeShipFiles is the value of EnvShipFiles: base64 of a JSON list, so
// that no character of a file name can meet YARN's launch-script
// expansion ("{{", "}}", quotes).
func EncodeShipFiles(files []ShippedFile) (string, error) {
	b, err := json.Marshal(files)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeShipFiles reads EncodeShipFiles's value.
func DecodeShipFiles(s string) ([]ShippedFile, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvShipFiles, err)
	}
	var out []ShippedFile
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvShipFiles, err)
	}
	return out, nil
}
