package am

import (
	"errors"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/contract"
)

func TestReadEnv(t *testing.T) {
	full := map[string]string{
		"CONTAINER_ID": "container_e02_1700000000000_0007_01_000001", "NM_HOST": "node1", "LOG_DIRS": "/logs/a,/logs/b",
		"HADOOP_TOKEN_FILE_LOCATION": "/tokens", "HADOOP_CONF_DIR": "/etc/hadoop", "FLOE_YARN_MODE": "per-job",
		"FLOE_STAGING_DIR": "hdfs://nn:8020/user/u/.floe/application_1700000000000_0007", "FLOE_JOB_BINARY": "hdfs://nn:8020/job",
		"FLOE_JOB_ARGS": `["--input","a b"]`, "FLOE_PARALLELISM": "3", "HADOOP_USER_NAME": "u",
		"FLOE_JOB_ID": "0123456789abcdef0123456789abcdef",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range full {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		wantErr []string
		notIn   bool // errors.Is ErrNotInContainer
	}{
		{"complete", full, nil, false},
		{"no container id", with("CONTAINER_ID", ""), []string{"CONTAINER_ID not set"}, true},
		{"no NM variables at all", map[string]string{}, []string{"CONTAINER_ID, NM_HOST, LOG_DIRS, HADOOP_TOKEN_FILE_LOCATION, HADOOP_CONF_DIR not set"}, true},
		{"bad container id", with("CONTAINER_ID", "container_x"), []string{`CONTAINER_ID="container_x"`}, false},
		{"bad mode", with("FLOE_YARN_MODE", "cluster"), []string{"want session, per-job or application"}, false},
		{"no mode", with("FLOE_YARN_MODE", ""), []string{"FLOE_YARN_MODE not set"}, false},
		{"args not JSON", with("FLOE_JOB_ARGS", "[--input,x]"), []string{"FLOE_JOB_ARGS: want a JSON array"}, false},
		{"no job binary", with("FLOE_JOB_BINARY", ""), []string{"FLOE_JOB_BINARY"}, false},
		{"bad parallelism", with("FLOE_PARALLELISM", "0"), []string{"FLOE_PARALLELISM"}, false},
		{"short job id", with("FLOE_JOB_ID", "job-1"), []string{`FLOE_JOB_ID="job-1": want 32 hex digits`}, false},
		{"upper-case job id", with("FLOE_JOB_ID", "0123456789ABCDEF0123456789ABCDEF"), []string{"FLOE_JOB_ID"}, false},
		{"bad attempts", with("FLOE_APP_ATTEMPTS", "two"), []string{`FLOE_APP_ATTEMPTS="two": want a positive number`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ReadEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if e.Mode != contract.ModePerJob || e.LogDir != "/logs/a" || e.NMHost != "node1" || len(e.JobArgs) != 2 || e.JobArgs[1] != "a b" ||
					e.Container.App().String() != "application_1700000000000_0007" || e.User != "u" ||
					e.JobID != "0123456789abcdef0123456789abcdef" {
					t.Fatalf("env %+v", e)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if errors.Is(err, ErrNotInContainer) != tc.notIn {
				t.Errorf("errors.Is(ErrNotInContainer) = %v", !tc.notIn)
			}
		})
	}
	// Attempts: this one is the first of FLOE_APP_ATTEMPTS (default 1).
	if e, err := ReadEnv(func(k string) string { return full[k] }); err != nil || e.Attempts != 1 || e.Attempt() != 1 {
		t.Fatalf("attempts by default: %+v, %v", e, err)
	}
	if e, err := ReadEnv(func(k string) string { return with("FLOE_APP_ATTEMPTS", "2")[k] }); err != nil || e.Attempts != 2 {
		t.Fatalf("attempt 1 of 2: %+v, %v", e, err)
	}
	second := with("FLOE_APP_ATTEMPTS", "2")
	second["CONTAINER_ID"] = "container_e02_1700000000000_0007_02_000001"
	if e, err := ReadEnv(func(k string) string { return second[k] }); err != nil || e.Attempt() != 2 {
		t.Fatalf("attempt 2 of 2: %+v, %v", e, err)
	}
	// Without a job id the JobManager chooses one.
	if e, err := ReadEnv(func(k string) string { return with("FLOE_JOB_ID", "")[k] }); err != nil || e.JobID != "" {
		t.Fatalf("no job id: %+v, %v", e, err)
	}
	// A session needs no job binary.
	s := with("FLOE_YARN_MODE", "session")
	delete(s, "FLOE_JOB_BINARY")
	if _, err := ReadEnv(func(k string) string { return s[k] }); err != nil {
		t.Fatalf("session: %v", err)
	}
}
