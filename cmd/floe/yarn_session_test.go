package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/urfave/cli/v2"
)

// TestSessionFlags checks that Flink's yarn-session.sh flags, including
// multi-letter short ones, become configuration options, with a bare
// number for -jm/-tm meaning MB and the flags winning over -D.
func TestSessionFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"flink example", []string{"-nm", "my_app", "-qu", "q1", "-jm", "1024", "-tm", "2g", "-s", "2", "-at", "T"},
			[]string{"yarn.application.name=my_app", "yarn.application.queue=q1", "jobmanager.memory.process.size=1024m",
				"taskmanager.memory.process.size=2g", "taskmanager.numberOfTaskSlots=2", "yarn.application.type=T"}},
		{"long names", []string{"--name", "n", "--slots", "3"}, []string{"yarn.application.name=n", "taskmanager.numberOfTaskSlots=3"}},
		{"flags after -D", []string{"-Dyarn.application.name=fromD", "-nm", "fromFlag"}, []string{"yarn.application.name=fromD", "yarn.application.name=fromFlag"}},
		{"id", []string{"-id", "application_1_2"}, []string{"yarn.application.id=application_1_2"}},
		{"nothing", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			cmd := yarnSessionCommand()
			cmd.Action = func(c *cli.Context) error { got = sessionDynamic(c); return nil }
			app := &cli.App{Name: "floe", Commands: []*cli.Command{cmd}}
			if err := app.Run(normalizeArgs(append([]string{"floe", "yarn-session"}, tc.args...))); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("dynamic = %q, want %q", got, tc.want)
			}
			if _, err := conf.Load(conf.LoadOptions{Dynamic: got, Getenv: func(string) string { return "" }}); err != nil {
				t.Fatalf("the options do not load: %v", err)
			}
		})
	}
}

// TestRunTargetAndAppID checks how `floe run` picks its target and how the
// YARN commands find their application: -t, execution.target, the
// properties file (Flink's properties-file mode), else local.
func TestRunTargetAndAppID(t *testing.T) {
	dir := t.TempDir()
	withProps := t.TempDir()
	t.Setenv(contract.EnvHadoopUserName, "tester")
	if err := client.WriteProperties(filepath.Join(withProps, ".yarn-properties-tester"), client.SessionProperties{AppID: "application_1700000000000_0042"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		args       []string
		wantTarget string
		wantApp    string // "" = error expected
	}{
		{"default local", []string{"-Dyarn.properties-file.location=" + dir}, "local", ""},
		{"explicit", []string{"-t", "yarn-per-job", "-Dyarn.properties-file.location=" + dir}, "yarn-per-job", ""},
		{"execution.target", []string{"-Dexecution.target=yarn-application", "-Dyarn.properties-file.location=" + dir}, "yarn-application", ""},
		{"properties file", []string{"-Dyarn.properties-file.location=" + withProps}, "yarn-session", "application_1700000000000_0042"},
		{"application id wins", []string{"-Dyarn.properties-file.location=" + withProps, "-Dyarn.application.id=application_1700000000000_0007"}, "yarn-session", "application_1700000000000_0007"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var target, app string
			var appErr error
			cmd := runCommand()
			cmd.Action = func(c *cli.Context) error {
				cfg, err := conf.Load(conf.LoadOptions{Dynamic: dynamicArgs(c), Getenv: func(string) string { return "" }})
				if err != nil {
					return err
				}
				target = runTarget(c, cfg)
				id, _, err := resolveAppID(cfg)
				app, appErr = id.String(), err
				return nil
			}
			a := &cli.App{Name: "floe", Commands: []*cli.Command{cmd}}
			if err := a.Run(normalizeArgs(append(append([]string{"floe", "run"}, tc.args...), "job"))); err != nil {
				t.Fatal(err)
			}
			if target != tc.wantTarget {
				t.Errorf("target = %q, want %q", target, tc.wantTarget)
			}
			if tc.wantApp == "" {
				if appErr == nil || !strings.Contains(appErr.Error(), "yarn.application.id") {
					t.Errorf("resolveAppID error = %v, want one naming -Dyarn.application.id", appErr)
				}
			} else if appErr != nil || app != tc.wantApp {
				t.Errorf("app = %q, %v; want %q", app, appErr, tc.wantApp)
			}
		})
	}
}
