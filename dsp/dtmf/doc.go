// Package dtmf detects and generates DTMF (dual-tone multi-frequency)
// digits in 16-bit mono PCM (ITU-T Q.23 frequencies, Q.24 reception
// limits), at any rate from 8 to 48 kHz, on chunks of any length.
//
// # Method
//
// The Detector cuts the stream into blocks of 13.25 ms (106 samples at
// 8 kHz, 212 at 16 kHz): one DFT bin is then 75.5 Hz, about the spacing of
// the low-group frequencies, so each row tone falls near the nulls of its
// neighbours. For each block it runs the Goertzel algorithm on the eight
// DTMF frequencies, separately over the two halves of the block (whose
// sum is the whole block's DFT), and the energy of the block. A block
// holds a digit when:
//
//   - the strongest frequency of each group together hold at least 60 %
//     of the block's energy (the tones dominate the signal);
//   - the frequency of each tone is within FreqTolerance (2.5 %: Q.24
//     accepts 1.5 % and refuses 3.5 %). It is measured, not guessed from
//     bin powers, which barely change within ±3.5 %: first from the phase
//     turn of the tone between the block's halves (unambiguous to ±1 bin),
//     then, when the previous block held the same digit, from its turn
//     over a whole block (four times finer), both with the other tone's
//     leakage removed;
//   - each tone reaches MinLevel (-42 dBov, about -36 dBm0) and the twist
//     is within limits: the high group up to 8 dB weaker, the low group up
//     to 4 dB weaker (Q.24) are accepted, and only twists 2 dB beyond
//     those (10 and 6 dB) are refused, so that a digit at exactly the
//     limit is never lost to the estimate's error (a few tenths of a dB
//     on whole blocks, up to 2 dB on blocks a tone only partly fills).
//     Powers come from a least-squares fit of the two tones at
//     their measured frequencies to the two DFT values, which takes out
//     each tone's leakage into the other's bin and the negative-frequency
//     images (rectangular-window sidelobes would otherwise move a tone
//     8 dB under the other by ±1.5 dB);
//   - what the two fitted tones do not explain at the six other
//     frequencies stays 8 dB under the tone of their group (relative
//     peaks: a third tone, speech formants), and so does the second
//     harmonic of each tone, 12 dB under it (speech and music have
//     harmonics, DTMF has none; the three harmonics of the low group that
//     fall within 1.5 bins of a digit's high tone are not measured).
//
// Consecutive blocks holding the same digit make a tone. Its start and end
// are estimated to a fraction of a block from the DFT power at the digit's
// frequencies in the edge blocks and their neighbours against a whole
// block's (the DFT grows with the number of samples of tone, so the power
// gives the part of a block the tone filled). An edge block that fails a
// check counts by that part when it is mostly silent or when its energy
// is mostly the digit's tones (their share, scaled to the part they fill,
// passes the 60 % check): a tone cut off inside a block moves the twist,
// level and relative peaks measured there, and a 40 ms digit has only two
// whole blocks. A block mostly filled with anything else does not count.
// A tone is a digit once it
// spans two blocks and MinDuration (32 ms: 40 ms tones are digits, 23 ms
// ones are not); interruptions shorter than MaxDropout (20 ms) do not
// split it, so a 40 ms pause separates two digits and a long key press is
// one digit. Each digit is reported twice: once it has lasted MinDuration
// (Event.End false, for senders of RFC 4733 events) and when it has ended
// (End true, whole duration).
//
// # Accuracy (measured)
//
// By the tests of this package (go test ./dsp/dtmf -v), at 8 and 16 kHz:
//
//   - TestEveryDigit: 1920 cases (16 digits, -5 to -30 dBov, twist -8,
//     0 and +4 dB, frequencies off by ±1.5 % each way): each digit found
//     exactly once, start within 13.25 ms (a block), duration within two
//     blocks on 60 ms tones.
//   - TestLimitTwist: 512 cases, every digit at exactly -8 and +4 dB
//     twist, stronger tone from -4 dBm0 down to the weaker at -33 dBm0,
//     40 and 100 ms, frequencies on or 1 % off, at 29 alignments against
//     the blocks: each found exactly once, start within a block, duration
//     within two blocks.
//   - TestLimitTwistNoise: 1 s digits at -8 and +4 dB twist in white
//     noise 20 dB under the weaker tone, 64 cases: each found once, never
//     split.
//   - TestTwistOutOfRange: twist of -11 to -14 dB or +7 to +10 dB, 576
//     cases: no digit.
//   - TestFrequencyOffset: offsets swept from -5 % to +5 % in 0.25 % steps
//     on the low tone, the high tone and both: always found within
//     ±1.5 %, never from ±3.5 %; digit 5 is accepted from -2.5 (-2.75 for
//     the high tone) to +2.5 %.
//   - TestDuration: tones of 10, 20 and 23 ms never found, of 40 ms and
//     more always, at 14 alignments against the blocks.
//   - TestSequence: 40 ms digits with 40 ms pauses all found, repeated
//     digits too; a 3 s digit with a 10 ms drop-out found once.
//   - TestNoise: every digit at -5 dBov in white noise at -20 dBov (15 dB
//     SNR) found.
//   - TestHarmonics: every digit with second harmonics 6 dB under its
//     tones refused (found when the harmonic check is disabled), with
//     harmonics 20 dB under found.
//   - TestTalkOff: 16 minutes of synthetic talk (dsp/vad/vadtest.Talk,
//     four voices, -10 and -25 dBov): no digit.
//
// Real speech, outside the tests: 7.6 minutes of espeak-ng speech (nine
// voices, English, German, French, Spanish, Italian, Portuguese; sox to
// 8 and 16 kHz), at -20, -1 (peak-normalised) and -40 dBov RMS, gave no
// digit with `voxgraph dsp dtmf`; with --min-duration 1ns, a single run of
// two blocks passed the signal checks in each file.
//
// The DSP benchmark (benchmarks/dsp/run.sh; its DTMF files hold every
// digit at low-group levels -4 to -25 dBm0, twist 0, +4 and -8 dB, 40 and
// 100 ms, frequencies on or 1 % off, at 8 and 16 kHz) finds 576 of 576
// digits, start within ±20 ms, with no extra detection, and none on its
// 20 speech tracks of 12 s (talk-off 0); with --min-duration 1ns, none
// on any of its 216 speech, noisy speech, AGC and echo files either.
//
// Cost (go test -bench . -benchmem ./dsp/dtmf, 2-core Xeon shared with
// other work): per 10 ms frame, 2.5 µs at 8 kHz and 3.7 µs at 16 kHz on a
// digit sequence (BenchmarkDetect: nearly every block a candidate), 1.8 µs
// on synthetic talk at 8 kHz (BenchmarkDetectTalk); 0 allocations.
//
// A Detector or Generator is not safe for concurrent use; their per-frame
// methods do not allocate.
package dtmf
