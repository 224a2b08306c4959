// Package conf declares every Floe option once (key, type, default, doc),
// loads Floe's own configuration file with -D overrides, reads Hadoop's
// *-site.xml files, and holds the environment-variable contract between the
// client, the ApplicationMaster and the TaskManagers (env.go).
//
// # Floe options
//
// The declaration table in options.go is the single place an option's key,
// Type, default and one-line doc live; later features add rows there and a
// key constant beside them. Keys and defaults follow Flink's where Flink has
// the option. Values are text, parsed the way Flink parses them:
//
//	int       "4", "-1"
//	duration  "30 s", "30s", "1 min", "500" (milliseconds), "1h30m"
//	memory    "256m", "1g", "512mb", "1024" (bytes); binary units
//	bool      "true", "false"
//	list      "a;b;c" (or a YAML sequence in the file)
//
// Load reads $FLOE_CONF_DIR/floe-conf.yaml, which may be flat Flink-style
// "key: value" lines or nested maps flattened with dots (Flink 1.19+
// config.yaml), then applies -D overrides. Every value is checked against
// its type at load time, so the typed getters (String, Int, Duration,
// Memory, Bool, List) never fail; asking for an undeclared key panics, as
// it is a programming error. Each value remembers its Source (default,
// file:line, -D, set), which `floe config` prints. Errors are one line that
// names the cause and the fix, and match ErrSyntax, ErrInvalidValue,
// ErrUnknownOption or ErrNoConfDir with errors.Is; an unknown -D key
// suggests the nearest declared key. Unknown keys in the file are kept and
// reported by Unknown and Warnings, not rejected, since config files are
// shared. A key of Flink's that Floe does not implement (flink_keys.txt, a
// list of key names taken from Flink's generated configuration docs, see
// IsFlinkKey) is ignored with the one-line warning "Flink option not
// supported by Floe, ignored: <key>", whether it comes from the file or -D.
//
// # Hadoop configuration
//
// LoadHadoop reads core-site.xml, hdfs-site.xml and yarn-site.xml from
// $HADOOP_CONF_DIR (then $YARN_CONF_DIR) with Hadoop's semantics: later
// files override earlier ones unless a value is final, ${var} references
// expand (other keys, ${env.NAME}, ${user.name}), and the keys Floe reads
// have Hadoop's defaults (fs.defaultFS file:///, RM addresses derived from
// yarn.resourcemanager.hostname with ports 8032/8030/8031/8033/8088). Under
// RM HA, RMAddress(rmID) and friends resolve yarn.resourcemanager.<key>.<id>,
// falling back to yarn.resourcemanager.hostname.<id> and the default port.
// XInclude is not supported.
//
// # Example
//
//	cfg, err := conf.Load(conf.LoadOptions{Dynamic: []string{"parallelism.default=4"}})
//	if err != nil {
//		return err // e.g. "/etc/floe/floe-conf.yaml:7: syntax error: …; fix the YAML"
//	}
//	slots := cfg.Int(conf.TaskManagerSlots)
//	mem := cfg.Memory(conf.TaskManagerProcessSize) // conf.MemorySize; mem.MiB() for YARN
//
//	h, err := conf.LoadHadoop("") // $HADOOP_CONF_DIR, then $YARN_CONF_DIR
//	if err != nil {
//		return err
//	}
//	rm := h.RMAddress("") // "rm.example.com:8032"
//	for _, id := range h.RMHAIDs() {
//		rm = h.RMAddress(id)
//	}
package conf
