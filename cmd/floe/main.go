// Command floe is Floe's command-line client and, inside the ApplicationMaster
// container, its JobManager.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	app := &cli.App{
		Name:    "floe",
		Usage:   "a stateful stream processor on YARN",
		Version: version,
	}
	app.Commands = append(app.Commands, configCommand())
	app.Commands = append(app.Commands, jobManagerCommand(), taskManagerCommand(), runCommand())
	app.Commands = append(app.Commands, fsCommand())
	app.Commands = append(app.Commands, yarnSessionCommand(), runApplicationCommand())
	app.Commands = append(app.Commands, listCommand(), cancelCommand(), savepointCommand(), stopCommand(), infoCommand(), logsCommand(), dashboardCommand())
	oneLineUsageErrors(app)
	if err := app.Run(normalizeArgs(os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, "floe:", err)
		os.Exit(1)
	}
}
