package main

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"glued", []string{"floe", "config", "-Dparallelism.default=2"}, []string{"floe", "config", "-D", "parallelism.default=2"}},
		{"spaced untouched", []string{"floe", "config", "-D", "a=b"}, []string{"floe", "config", "-D", "a=b"}},
		{"several mixed", []string{"floe", "run", "-Da=1", "-t", "yarn-session", "-D", "b=2", "-Dc=x=y"},
			[]string{"floe", "run", "-D", "a=1", "-t", "yarn-session", "-D", "b=2", "-D", "c=x=y"}},
		{"after -- untouched", []string{"floe", "run", "job", "--", "-Dmine=1"}, []string{"floe", "run", "job", "--", "-Dmine=1"}},
		{"bare -D untouched", []string{"floe", "-D"}, []string{"floe", "-D"}},
		{"-D= untouched", []string{"floe", "-D=a=b"}, []string{"floe", "-D=a=b"}},
		{"program name untouched", []string{"-Dweird"}, []string{"-Dweird"}},
		{"other flags untouched", []string{"floe", "--Dx", "-d"}, []string{"floe", "--Dx", "-d"}},
		{"Flink's glued -yD", []string{"floe", "run", "-yDa=1", "-yd", "-yD", "b=2"}, []string{"floe", "run", "-yD", "a=1", "-yd", "-yD", "b=2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalizeArgs(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("normalizeArgs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestDynamicFlagParsing checks that, after normalisation, urfave/cli hands
// every -D value through whole, commas included.
func TestDynamicFlagParsing(t *testing.T) {
	var got []string
	app := &cli.App{Name: "floe", Commands: []*cli.Command{{
		Name:  "probe",
		Flags: []cli.Flag{dynamicFlag()},
		Action: func(c *cli.Context) error {
			got = dynamicArgs(c)
			return nil
		},
	}}}
	args := []string{"floe", "probe", "-Da=1", "-D", "yarn.tags=x,y", "--D", "c=3", "-Dd=4"}
	if err := app.Run(normalizeArgs(args)); err != nil {
		t.Fatal(err)
	}
	want := []string{"a=1", "yarn.tags=x,y", "c=3", "d=4"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("-D values = %q, want %q", got, want)
	}
}
