package conf

import (
	"net"
	"sort"
	"strconv"
	"strings"
)

// Hadoop keys Floe reads.
const (
	KeyDefaultFS          = "fs.defaultFS"
	KeyAuthentication     = "hadoop.security.authentication"
	KeyRPCProtection      = "hadoop.rpc.protection"
	KeyRMHostname         = "yarn.resourcemanager.hostname"
	KeyRMAddress          = "yarn.resourcemanager.address"
	KeyRMSchedulerAddress = "yarn.resourcemanager.scheduler.address"
	KeyRMTrackerAddress   = "yarn.resourcemanager.resource-tracker.address"
	KeyRMAdminAddress     = "yarn.resourcemanager.admin.address"
	KeyRMWebAppAddress    = "yarn.resourcemanager.webapp.address"
	KeyRMHAEnabled        = "yarn.resourcemanager.ha.enabled"
	KeyRMHAIDs            = "yarn.resourcemanager.ha.rm-ids"
	KeyNameNodeHTTP       = "dfs.namenode.http-address"
	KeyNameNodeRPC        = "dfs.namenode.rpc-address"
	KeyNameServices       = "dfs.nameservices"
)

// hadoopDefaults holds Hadoop's defaults (core-default.xml, hdfs-default.xml,
// yarn-default.xml) for the keys Floe reads. Values are expanded like any
// other, so the RM addresses follow yarn.resourcemanager.hostname.
var hadoopDefaults = map[string]string{
	KeyDefaultFS:                                "file:///",
	KeyAuthentication:                           "simple",
	KeyRPCProtection:                            "authentication",
	"hadoop.tmp.dir":                            "/tmp/hadoop-${user.name}",
	"hadoop.security.token.service.use_ip":      "true",
	"fs.permissions.umask-mode":                 "022",
	KeyRMHostname:                               "0.0.0.0",
	KeyRMAddress:                                "${yarn.resourcemanager.hostname}:8032",
	KeyRMSchedulerAddress:                       "${yarn.resourcemanager.hostname}:8030",
	KeyRMTrackerAddress:                         "${yarn.resourcemanager.hostname}:8031",
	KeyRMAdminAddress:                           "${yarn.resourcemanager.hostname}:8033",
	KeyRMWebAppAddress:                          "${yarn.resourcemanager.hostname}:8088",
	"yarn.resourcemanager.webapp.https.address": "${yarn.resourcemanager.hostname}:8090",
	KeyRMHAEnabled:                              "false",
	"yarn.resourcemanager.am.max-attempts":      "2",
	"yarn.http.policy":                          "HTTP_ONLY",
	KeyNameNodeHTTP:                             "0.0.0.0:9870",
	"dfs.namenode.https-address":                "0.0.0.0:9871",
	"dfs.replication":                           "3",
	"dfs.blocksize":                             "134217728",
	"dfs.client.use.datanode.hostname":          "false",
}

// rmPorts are the default ports of the RM address keys, used when an HA
// RM is given only by yarn.resourcemanager.hostname.<rmID>.
var rmPorts = map[string]int{
	KeyRMAddress:          8032,
	KeyRMSchedulerAddress: 8030,
	KeyRMTrackerAddress:   8031,
	KeyRMAdminAddress:     8033,
	KeyRMWebAppAddress:    8088,
}

// HadoopKeys returns the Hadoop keys Floe reads (those with a default),
// sorted; `floe config` prints them.
func HadoopKeys() []string {
	keys := make([]string, 0, len(hadoopDefaults))
	for k := range hadoopDefaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DefaultFS returns fs.defaultFS (file:/// by default). The deprecated
// fs.default.name is honoured when fs.defaultFS is not set in a file.
func (h *Hadoop) DefaultFS() string {
	if _, ok := h.props[KeyDefaultFS]; !ok {
		if v, _, ok := h.Lookup("fs.default.name"); ok && v != "" {
			return v
		}
	}
	return h.Get(KeyDefaultFS)
}

// Authentication returns hadoop.security.authentication, lower-cased:
// "simple" or "kerberos".
func (h *Hadoop) Authentication() string {
	return strings.ToLower(h.Get(KeyAuthentication))
}

// RPCProtection returns hadoop.rpc.protection: the strongest of the listed
// values when several are given ("authentication,privacy" → "privacy").
func (h *Hadoop) RPCProtection() string {
	best := "authentication"
	rank := map[string]int{"authentication": 0, "integrity": 1, "privacy": 2}
	for _, v := range strings.Split(h.Get(KeyRPCProtection), ",") {
		v = strings.ToLower(strings.TrimSpace(v))
		if r, ok := rank[v]; ok && r > rank[best] {
			best = v
		}
	}
	return best
}

// HAEnabled reports yarn.resourcemanager.ha.enabled.
func (h *Hadoop) HAEnabled() bool {
	return strings.EqualFold(strings.TrimSpace(h.Get(KeyRMHAEnabled)), "true")
}

// RMHAIDs returns yarn.resourcemanager.ha.rm-ids when RM HA is enabled,
// else nil.
func (h *Hadoop) RMHAIDs() []string {
	if !h.HAEnabled() {
		return nil
	}
	var ids []string
	for _, id := range strings.Split(h.Get(KeyRMHAIDs), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// RMAddress returns the ResourceManager's client address
// (yarn.resourcemanager.address, or its .<rmID> form under HA).
func (h *Hadoop) RMAddress(rmID string) string { return h.rmAddr(KeyRMAddress, rmID) }

// RMSchedulerAddress returns the address ApplicationMasters talk to.
func (h *Hadoop) RMSchedulerAddress(rmID string) string {
	return h.rmAddr(KeyRMSchedulerAddress, rmID)
}

// RMWebAppAddress returns the ResourceManager's web and REST address.
func (h *Hadoop) RMWebAppAddress(rmID string) string { return h.rmAddr(KeyRMWebAppAddress, rmID) }

// RMAdminAddress returns the ResourceManager's admin address.
func (h *Hadoop) RMAdminAddress(rmID string) string { return h.rmAddr(KeyRMAdminAddress, rmID) }

// rmAddr resolves an RM address the way Hadoop's HAUtil does: with an rmID,
// key.<rmID> if set, else yarn.resourcemanager.hostname.<rmID> with the
// key's default port, else the plain key; without, the plain key (whose
// default follows yarn.resourcemanager.hostname).
func (h *Hadoop) rmAddr(key, rmID string) string {
	if rmID != "" {
		if v, _, ok := h.Lookup(key + "." + rmID); ok && v != "" {
			return v
		}
		if host, _, ok := h.Lookup(KeyRMHostname + "." + rmID); ok && host != "" {
			return net.JoinHostPort(host, strconv.Itoa(rmPorts[key]))
		}
	}
	return h.Get(key)
}

// NameNodeAddresses returns the RPC addresses of the NameNode(s) serving an
// hdfs:// authority: the authority itself when it has a port, the HA
// NameNodes of a nameservice (dfs.ha.namenodes.<ns> and
// dfs.namenode.rpc-address.<ns>.<nn>), dfs.namenode.rpc-address.<ns>, or
// else host:8020.
func (h *Hadoop) NameNodeAddresses(authority string) []string {
	if _, _, err := net.SplitHostPort(authority); err == nil {
		return []string{authority}
	}
	var out []string
	for _, nn := range strings.Split(h.Get("dfs.ha.namenodes."+authority), ",") {
		if nn = strings.TrimSpace(nn); nn == "" {
			continue
		}
		if a := h.Get(KeyNameNodeRPC + "." + authority + "." + nn); a != "" {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		return out
	}
	if a := h.Get(KeyNameNodeRPC + "." + authority); a != "" {
		return []string{a}
	}
	return []string{net.JoinHostPort(authority, "8020")}
}

// ConnectAddress turns a listen address into one a client can dial: a
// wildcard host (0.0.0.0, ::, empty) becomes 127.0.0.1, as Hadoop's
// NetUtils.getConnectAddress uses the local host.
func ConnectAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
