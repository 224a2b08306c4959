package main

import (
	"fmt"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/urfave/cli/v2"
)

// dashboardCommand is `floe dashboard`: the web dashboard's address and a
// sign-in code for its cancel, savepoint and stop buttons. The code is
// derived from the application's secret and expires (api.SignInCode); the
// page never holds the secret itself.
func dashboardCommand() *cli.Command {
	return &cli.Command{
		Name:  "dashboard",
		Usage: "print the web dashboard's address and a sign-in code for its cancel, savepoint and stop buttons",
		Flags: append(clusterFlags(), dynamicFlag(),
			&cli.DurationFlag{Name: "valid", Value: 12 * time.Hour, Usage: "how long the sign-in code works (at most 7 days)"}),
		Action: func(c *cli.Context) error {
			valid := c.Duration("valid")
			if valid <= 0 || valid > 7*24*time.Hour {
				return fmt.Errorf("dashboard: --valid %s: want a duration above 0 and at most 168h", valid)
			}
			oc, err := openCluster(c, 90*time.Second)
			if err != nil {
				return err
			}
			defer oc.done()
			url := "http://" + oc.cc.Addr + "/"
			if oc.env != nil && oc.cc.Report.TrackingURL != "" {
				url = oc.cc.Report.TrackingURL // YARN's web proxy
			}
			until := time.Now().Add(valid)
			w := c.App.Writer
			fmt.Fprintf(w, "Dashboard of %s: %s\n", oc.name, url)
			fmt.Fprintf(w, "Sign-in code for its buttons, valid until %s:\n%s\n", until.Local().Format(time.RFC1123), api.SignInCode(oc.cc.JM.Secret, until))
			fmt.Fprintln(w, "Anyone who has the code can cancel and stop this cluster's jobs until then: keep it like a password.")
			return nil
		},
	}
}
