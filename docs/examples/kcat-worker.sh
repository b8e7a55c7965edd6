#!/usr/bin/env bash
# A worker for one 1:1 or N:1 feature, from docs/protocol.md alone: kcat reads the feature's
# increments (read_committed), jq answers each one, a second kcat writes the answers back.
#   docs/examples/kcat-worker.sh BROKERS FEATURE [TOPIC_PREFIX]
#   docs/examples/kcat-worker.sh 127.0.0.1:9092 example/crop
# Runs until stopped. Needs kcat and jq (Debian: apt-get install kcat jq).
set -euo pipefail
brokers=$1 feature=$2 prefix=${3:-metaxy.}
table=${feature//\//__}              # example/face_detection -> example__face_detection
table=${table//-/_}
topic=$prefix$table

# Each increment as "key<TAB>value" (-u: unbuffered, one line as soon as it arrives). A consumer
# group commits its offsets itself: a crash may skip an event, which the next change of the sample
# re-announces (the Java IncrementWorker commits only after the answer is acknowledged).
kcat -u -b "$brokers" -G "kcat-worker-$table" "$topic.increments" \
     -X isolation.level=read_committed -X auto.offset.reset=earliest -q -f '%k\t%s\n' |
# new / stale: a row with the ids, the computed column(s), and the increment's provenance and
# feature version echoed unchanged. orphaned: an empty value, which -Z below sends as a tombstone.
# retracted: nothing to do.
jq --unbuffered -R -r '
  (index("\t")) as $tab | .[:$tab] as $key | (.[$tab + 1:] | fromjson) as $inc
  | if $inc.kind == "new" or $inc.kind == "stale" then
      $key + "\t" + ($inc.ids + {
          computed_by: "kcat-worker",
          source: ($inc.upstream.path // "its parents"),
          metaxy_provenance_by_field: $inc.metaxy_provenance_by_field,
          metaxy_feature_version: $inc.feature_version
        } | tojson)
    elif $inc.kind == "orphaned" then $key + "\t"
    else empty end' |
# Each answer written by its own kcat, which exits once the broker has acknowledged it (acks=all
# is librdkafka's default), before the next increment is read. (A long-lived `kcat -P` would hold
# its input until it ends.) -Z: an empty value is sent as a tombstone.
while IFS= read -r answer; do
  printf '%s\n' "$answer" | kcat -P -b "$brokers" -t "$topic" -K $'\t' -Z
done
