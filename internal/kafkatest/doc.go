// Package kafkatest is what tests against the broker of scripts/kafka.sh
// share: its addresses, and topics created and ready to use.
package kafkatest
