#!/usr/bin/env bash
# bench_limiter.sh - lathe's loudness{} (its limiter, default release) against x42-dpl (true-peak
# mode, its default 10 ms release, hosted by lathe's lv2 node) and ffmpeg's alimiter (sample
# peak, its default 5 ms attack and 50 ms release; no auto level),
# each brought to the same integrated loudness by a search on its input gain, at -9 and -11 LUFS
# under a -1 dBTP ceiling, on real mixes. Per mix and limiter: the input gain needed, the mean
# gain reduction and the share of time with more than 1 dB (50 ms blocks, bench_limiter.c), the
# LRA kept, and the worst true peak by a reference reconstruction (sox's VHQ resampler to 8x,
# flat to 0.98 of Nyquist). Where dpl passes the ceiling, a row lathe@dpl gives lathe with its
# ceiling at the true peak dpl reached (equal peaks; not in the means). Then each limiter 6 dB
# into the ceiling on test tones: THD+N of a
# 60 Hz sine and SMPTE IMD (60 Hz + 7 kHz, 4:1).
#
# usage: tests/bench/bench_limiter.sh LATHE_BIN MIX...
set -euo pipefail
LATHE=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DPL="http://gareus.org/oss/lv2/dpl#stereo"
HAVE_DPL=1
"$LATHE" plugins "$DPL" >/dev/null 2>&1 || HAVE_DPL=0
cc -std=c11 -O2 "$HERE/bench_limiter.c" -lm -o "$DIR/measure"
FF="ffmpeg -nostdin -loglevel error -y"
CEIL=0.891251 # -1 dB

# limit NAME IN GAIN_DB OUT: IN through the gain and limiter NAME into OUT (32-bit float WAV)
limit() {
    case $1 in
    x42-dpl)
        printf 'output(source(param("input")):gain{gain_db = %s}:lv2{ uri = "%s", controls = { threshold = -1, truepeak = 1 } }, "o.wav", {bits = 32})\n' \
            "$3" "$DPL" >"$DIR/dpl.lua"
        "$LATHE" render "$DIR/dpl.lua" -D input="$2" -o "$DIR/dpl" --no-cache --quiet >/dev/null
        mv "$DIR/dpl/o.wav" "$4" ;;
    alimiter)
        $FF -i "$2" -af "volume=${3}dB,alimiter=limit=$CEIL:level=false:latency=true" \
            -c:a pcm_f32le "$4" ;;
    esac
}
lufs_lra() { "$LATHE" analyze "$1" --json | python3 -c 'import json,sys
j = json.load(sys.stdin)[0]; print(j["integrated_lufs"], j["lra_lu"])'; }
ref_tp() { sox -V1 "$1" -t f32 - rate -v -b 98 $(($2 * 8)) | "$DIR/measure" peak; }
raw() { $FF -i "$1" -ac 2 -f f32le "$2"; }

# search NAME IN TARGET LUFS_IN: the input gain bringing NAME's output to TARGET (+-0.02 LU, as
# lathe's loudness node aims):
# secant steps, inside the bracket once both sides are known; sets GAIN and REACHED (0 when
# the output's loudness stops growing with the gain short of the target), leaves $DIR/s.wav
search() {
    local g f lo="" hi="" flo fhi gp="" fp="" i next
    g=$(awk -v t="$3" -v l="$4" 'BEGIN{print t - l}')
    REACHED=0
    for i in 1 2 3 4 5 6 7 8 9 10; do
        limit "$1" "$2" "$g" "$DIR/s.wav"
        read -r l _ < <(lufs_lra "$DIR/s.wav")
        f=$(awk -v l="$l" -v t="$3" 'BEGIN{print l - t}')
        awk -v f="$f" 'BEGIN{exit !(f < 0.02 && f > -0.02)}' && { REACHED=1; break; }
        [ -n "$fp" ] && awk -v f="$f" -v fp="$fp" 'BEGIN{exit !(f < 0 && f - fp < 0.02)}' && break
        if awk -v f="$f" 'BEGIN{exit !(f < 0)}'; then lo=$g flo=$f; else hi=$g fhi=$f; fi
        if [ -n "$lo" ] && [ -n "$hi" ]; then
            next=$(awk -v a="$lo" -v fa="$flo" -v b="$hi" -v fb="$fhi" 'BEGIN{print a - fa * (b - a) / (fb - fa)}')
        elif [ -n "$gp" ]; then
            next=$(awk -v g="$g" -v f="$f" -v gp="$gp" -v fp="$fp" 'BEGIN{s = (f - fp) / (g - gp);
                if (s < 0.1) s = 0.1; if (s > 1) s = 1; print g - f / s}')
        else
            next=$(awk -v g="$g" -v f="$f" 'BEGIN{print g - 2 * f}')
        fi
        awk -v g="$g" -v f="$f" 'BEGIN{exit !(g >= 40 && f < 0)}' && break # the gain node stops at 60
        gp=$g fp=$f g=$(awk -v n="$next" 'BEGIN{print (n > 40 ? 40 : n < -40 ? -40 : n)}')
    done
    GAIN=$g
}

# lathe_at MIX TARGET CEILING: lathe's loudness{} into $DIR/s.wav; sets g (its input gain)
lathe_at() {
    printf 'output(source(param("input")):loudness{ target_lufs = %s, ceiling_dbtp = %s, max_gr_db = 40 }, "o.wav", {bits = 32})\n' \
        "$2" "$3" >"$DIR/lathe.lua"
    "$LATHE" render "$DIR/lathe.lua" -D input="$1" -o "$DIR/l" --no-cache --json >"$DIR/l.json" 2>/dev/null
    g=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print([n for n in j["nodes"] if n["type"] == "loudness"][0]["report"]["gain_db"])' "$DIR/l.json")
    cp "$DIR/l/o.wav" "$DIR/s.wav"
}

declare -A SUM
row() { # name mix target gain gr over lra tp reached
    if [ "$9" = 0 ]; then
        printf '  %-9s %-22s %5s   cannot reach it: %.2f LUFS at most (+%.1f dB in)\n' "$1" "$2" "$3" "$(lufs_lra "$DIR/s.wav" | cut -d' ' -f1)" "$4"
        return
    fi
    printf '  %-9s %-22s %5s %8.2f %8.2f %6s%% %6.2f %8.3f\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
    local k="$1 $3"
    SUM[$k.n]=$(( ${SUM[$k.n]:-0} + 1 ))
    for v in gain:$4 gr:$5 over:$6 lra:$7; do
        SUM[$k.${v%%:*}]=$(awk -v a="${SUM[$k.${v%%:*}]:-0}" -v b="${v#*:}" 'BEGIN{print a + b}')
    done
    SUM[$k.tp]=$(awk -v a="${SUM[$k.tp]:--99}" -v b="$8" 'BEGIN{print (b > a ? b : a)}')
}

echo "  each limiter's input gain searched to the target; -1 dBTP ceiling; dpl: $([ $HAVE_DPL = 1 ] && echo hosted || echo 'not installed, skipped')"
printf '  %-9s %-22s %5s %8s %8s %7s %6s %8s\n' "" mix LUFS "gain dB" "GR dB" ">1 dB" LRA "ref TP"
for mix in "$@"; do
    name=$(basename "${mix%.*}")
    rate=$("$LATHE" analyze "$mix" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["rate"])')
    read -r lin lra_in < <(lufs_lra "$mix")
    raw "$mix" "$DIR/in.raw"
    printf '  %-9s %-22s %5s %8s %8s %7s %6.2f\n' source "$name" "$(printf %.1f "$lin")" "" "" "" "$lra_in"
    for target in -9 -11; do
        dpl_tp=""
        for lim in lathe x42-dpl alimiter lathe@dpl; do
            [ $lim != lathe ] && [ $lim != alimiter ] && [ $HAVE_DPL = 0 ] && continue
            if [ $lim = lathe ] || [ $lim = lathe@dpl ]; then
                # lathe@dpl: lathe's ceiling at the true peak dpl reached, where dpl passed -1
                [ $lim = lathe@dpl ] && ! awk -v t="$dpl_tp" 'BEGIN{exit !(t > -0.995)}' && continue
                lathe_at "$mix" "$target" "$([ $lim = lathe ] && echo -1 || echo "$dpl_tp")"
                REACHED=1
            else
                search $lim "$mix" "$target" "$lin"
                g=$GAIN
            fi
            raw "$DIR/s.wav" "$DIR/out.raw"
            read -r gr over < <("$DIR/measure" gr "$rate" "$DIR/in.raw" "$DIR/out.raw" "$g")
            read -r _ lra < <(lufs_lra "$DIR/s.wav")
            tp=$(ref_tp "$DIR/s.wav" "$rate")
            [ $lim = x42-dpl ] && dpl_tp=$tp
            row $lim "$name" "$target" "$g" "$gr" "$over" "$lra" "$tp" "$REACHED"
        done
    done
done
echo "  means over the mixes each reached (worst reference true peak):"
for target in -9 -11; do
    for lim in lathe x42-dpl alimiter; do
        k="$lim $target"
        [ -n "${SUM[$k.n]:-}" ] || continue
        n=${SUM[$k.n]}
        printf '  %-9s %-22s %5s %8.2f %8.2f %6.0f%% %6.2f %8.3f\n' "$lim" "mean of $n" "$target" \
            "$(awk -v s="${SUM[$k.gain]}" -v n="$n" 'BEGIN{print s / n}')" \
            "$(awk -v s="${SUM[$k.gr]}" -v n="$n" 'BEGIN{print s / n}')" \
            "$(awk -v s="${SUM[$k.over]}" -v n="$n" 'BEGIN{print s / n}')" \
            "$(awk -v s="${SUM[$k.lra]}" -v n="$n" 'BEGIN{print s / n}')" "${SUM[$k.tp]}"
    done
done

# Test tones 6 dB into the ceiling: a 60 Hz sine at +5 dBFS; 60 Hz + 7 kHz at 4:1 with the
# same peak.
printf 'output(sine{ freq_hz = 60, amplitude_db = 5, duration_s = 6 }, "thd.wav", {bits = 32})\n' >"$DIR/t.lua"
printf 'output(mix(sine{ freq_hz = 60, amplitude_db = 3.06, duration_s = 6 }, sine{ freq_hz = 7000, amplitude_db = -8.98, duration_s = 6 }), "imd.wav", {bits = 32})\n' >>"$DIR/t.lua"
"$LATHE" render "$DIR/t.lua" -o "$DIR/t" --no-cache --quiet >/dev/null
echo "  test tones 6 dB into the -1 dBTP ceiling:      THD+N 60 Hz   SMPTE IMD"
for lim in lathe x42-dpl alimiter; do
    [ $lim = x42-dpl ] && [ $HAVE_DPL = 0 ] && continue
    for t in thd imd; do
        if [ $lim = lathe ]; then
            printf 'output(source(param("input")):limit{ ceiling_dbtp = -1 }, "o.wav", {bits = 32})\n' >"$DIR/lt.lua"
            "$LATHE" render "$DIR/lt.lua" -D input="$DIR/t/$t.wav" -o "$DIR/lt" --no-cache --quiet >/dev/null
            cp "$DIR/lt/o.wav" "$DIR/$t.out.wav"
        else
            limit $lim "$DIR/t/$t.wav" 0 "$DIR/$t.out.wav"
        fi
        raw "$DIR/$t.out.wav" "$DIR/$t.raw"
    done
    printf '  %-46s %8s dB %8s dB\n' "$lim" "$("$DIR/measure" thd 48000 60 <"$DIR/thd.raw")" \
        "$("$DIR/measure" imd 48000 <"$DIR/imd.raw")"
done
