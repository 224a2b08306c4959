package contract

import "strings"

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
