#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzzing/ with -sanitize=fuzzer,address over
# every module and runs each for SECONDS (default 60) from its seed corpus
# (docs/fuzzing.md). A crash stops the run: its input is kept in Fuzzing/crashes/ to become
# a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scratch=.build-fuzz
swift build -c release --package-path Fuzzing --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | grep -v "Cannot export local symbol" | tail -3
bin=$(swift build -c release --package-path Fuzzing --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --show-bin-path)
mkdir -p Fuzzing/crashes
export LSAN_OPTIONS="suppressions=$PWD/Fuzzing/lsan.supp"
forms=$(find Tests/ExchangeTests/Fixtures/forms -name '*.json')
for target in FuzzJSON FuzzForms FuzzControl FuzzExport FuzzCheckpoint FuzzPack FuzzVaultRow; do
    corpus="$scratch/corpus/$target"
    mkdir -p "$corpus"
    case $target in
        FuzzJSON|FuzzForms) cp $forms "$corpus/" ;;
        FuzzControl) cp Fuzzing/seeds/control/* "$corpus/" ;;
        FuzzExport) cp Fuzzing/seeds/export/* "$corpus/" ;;
        FuzzCheckpoint) cp Fuzzing/seeds/checkpoint/* "$corpus/" ;;
        FuzzPack) cp Fuzzing/seeds/pack/* "$corpus/" ;;
        FuzzVaultRow) cp Fuzzing/seeds/vault/* "$corpus/" ;;
    esac
    echo "fuzz: $target for ${seconds}s"
    log="$scratch/$target.log"
    status=0
    "$bin/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="Fuzzing/crashes/$target-" -print_final_stats=1 > "$log" 2>&1 || status=$?
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 "$log" >&2
        echo "fuzz: $target failed (status $status); its input is in Fuzzing/crashes/" >&2
        exit 1
    fi
done
echo "fuzz: every target ran ${seconds}s with no crash"
