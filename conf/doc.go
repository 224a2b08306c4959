// Package conf declares every Floe option once (key, type, default, doc),
// loads Floe's own configuration file with -D overrides, and reads Hadoop's
// *-site.xml files.
package conf
