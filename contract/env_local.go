package contract

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// EnvDynamicProperties carries options to the job binary: a JSON array of
// "key=value" strings in command-line order. In the local role they are
// `floe run -t local`'s -D options, which the job binary applies over
// floe-conf.yaml ($FLOE_CONF_DIR), so -D reaches local execution as it
// reaches a cluster. On a cluster they are the submission's
// conf.PipelineKeys options, given to the plan role and every TaskManager
// process alike, so that all build the same job graph.
const EnvDynamicProperties = "FLOE_DYNAMIC_PROPERTIES"

// DynamicPropertiesEnv returns the EnvDynamicProperties entry for dyn, or
// "" when there is none.
func DynamicPropertiesEnv(dyn []string) string {
	if len(dyn) == 0 {
		return ""
	}
	b, _ := json.Marshal(dyn) // a []string always marshals
	return EnvDynamicProperties + "=" + string(b)
}

// DynamicProperties reads EnvDynamicProperties through getenv (nil when
// unset).
func DynamicProperties(getenv func(string) string) ([]string, error) {
	v := getenv(EnvDynamicProperties)
	if v == "" {
		return nil, nil
	}
	var dyn []string
	if err := json.Unmarshal([]byte(v), &dyn); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of \"key=value\" strings: %w", EnvDynamicProperties, err)
	}
	return dyn, nil
}

// JobBinaryEnv is what a submission gives the job binary in its
// environment in every role (plan and TaskManagers): the default
// parallelism (EnvParallelism, when above 0) and the job-level options
// pipeline ("key=value", EnvDynamicProperties, when any).
func JobBinaryEnv(parallelism int, pipeline []string) []string {
	var env []string
	if parallelism > 0 {
		env = append(env, EnvParallelism+"="+strconv.Itoa(parallelism))
	}
	if p := DynamicPropertiesEnv(pipeline); p != "" {
		env = append(env, p)
	}
	return env
}
