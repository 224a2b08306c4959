package client

import "testing"

func TestLoggedContainers(t *testing.T) {
	log := `{"level":"info","component":"appmaster","message":"registered with the ResourceManager"}
{"level":"info","component":"yarn-driver","tm":"tm-1","container":"container_1700000000000_0007_01_000002","node":"host1:45454","resource":"<memory:1024, vCores:1>","message":"container allocated; launching TaskManager"}
{"level":"info","component":"yarn-driver","tm":"tm-2","container":"container_1700000000000_0007_01_000003","node":"host2:45454","message":"container allocated; launching TaskManager"}
not json at all
{"level":"warn","component":"yarn-driver","tm":"tm-2","container":"container_1700000000000_0007_01_000003","node":"host2:45454","exit_status":137,"exit":"killed (SIGKILL)","message":"TaskManager container completed unexpectedly"}
{"level":"info","component":"yarn-driver","tm":"tm-1","container":"container_1700000000000_0007_01_000002","exit_status":0,"message":"TaskManager container ended"}`
	got := loggedContainers(log, map[string]string{"host1:45454": "host1:8042", "host2:45454": "host2:8042"})
	if len(got) != 2 {
		t.Fatalf("got %d containers, want 2: %+v", len(got), got)
	}
	if got[0].TaskManager != "tm-1" || got[0].NodeWS != "host1:8042" || got[0].Node != "host1:45454" || got[0].Exit != "" ||
		got[0].ID.String() != "container_1700000000000_0007_01_000002" {
		t.Errorf("tm-1: %+v", got[0])
	}
	if got[1].TaskManager != "tm-2" || got[1].NodeWS != "host2:8042" || got[1].Exit != "killed (SIGKILL)" {
		t.Errorf("tm-2: %+v", got[1])
	}
}
