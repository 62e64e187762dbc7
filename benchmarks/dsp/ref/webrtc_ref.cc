// webrtc_ref: the DSP benchmark's WebRTC reference runner (the
// webrtc-audio-processing 0.3 package), same CLI shape as `voxgraph dsp`:
//   webrtc_ref aec --mic M.wav --ref R.wav --out O.wav
//   webrtc_ref ns  --in X.wav --out Y.wav
//   webrtc_ref agc --in X.wav --out Y.wav
//   webrtc_ref vad --in X.wav --out labels.txt
// One AudioProcessing instance per file with one component enabled, 10 ms
// frames. aec: echo_cancellation() at its default suppression level with
// the extended filter and delay-agnostic mode (the runner knows no device
// delay, so WebRTC estimates it: the same information our AEC gets); ns:
// noise_suppression() at kModerate (default); agc: gain_control() in
// kAdaptiveDigital (target -3 dBFS, 9 dB compression, the defaults); vad:
// voice_detection() (default likelihood), stream_has_voice() per frame.
// Exit 0 on success, 1 on runtime error, 2 on usage error.
#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <memory>
#include <string>
#include <vector>

#include "wavio.h"

static int usage() {
  fprintf(stderr,
          "usage: webrtc_ref aec --mic M.wav --ref R.wav --out O.wav | "
          "ns|agc --in X.wav --out Y.wav | vad --in X.wav --out labels.txt\n");
  return 2;
}

static int check(int err, const char* what) {
  if (err != webrtc::AudioProcessing::kNoError) {
    fprintf(stderr, "webrtc_ref: %s: error %d\n", what, err);
    exit(1);
  }
  return err;
}

int main(int argc, char** argv) {
  opts_t o;
  if (argc < 2 || parse_opts(argc, argv, &o)) return usage();
  std::string tool = argv[1];
  wav_t in = {}, ref = {};
  if (tool == "aec") {
    if (!o.mic || !o.ref || !o.out) return usage();
    if (wav_read(o.mic, &in) || wav_read(o.ref, &ref)) return 1;
    if (in.rate != ref.rate) {
      fprintf(stderr, "webrtc_ref: mic %d Hz, ref %d Hz\n", in.rate, ref.rate);
      return 1;
    }
  } else if (tool == "ns" || tool == "agc" || tool == "vad") {
    if (!o.in || !o.out) return usage();
    if (wav_read(o.in, &in)) return 1;
  } else {
    return usage();
  }
  if (in.rate != 8000 && in.rate != 16000 && in.rate != 32000) {
    fprintf(stderr, "webrtc_ref: %d Hz not supported\n", in.rate);
    return 1;
  }
  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
  std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(config));
  // Forward and reverse streams at the file's rate from the first frame (the
  // reverse stream is refused until the forward rate is known otherwise).
  check(apm->Initialize(in.rate, in.rate, in.rate, webrtc::AudioProcessing::kMono,
                        webrtc::AudioProcessing::kMono, webrtc::AudioProcessing::kMono),
        "Initialize");
  if (tool == "aec") {
    check(apm->echo_cancellation()->enable_drift_compensation(false), "drift");
    check(apm->echo_cancellation()->Enable(true), "aec");
  } else if (tool == "ns") {
    check(apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kModerate), "ns level");
    check(apm->noise_suppression()->Enable(true), "ns");
  } else if (tool == "agc") {
    check(apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital), "agc mode");
    check(apm->gain_control()->set_target_level_dbfs(3), "agc target");
    check(apm->gain_control()->set_compression_gain_db(9), "agc gain");
    check(apm->gain_control()->enable_limiter(true), "agc limiter");
    check(apm->gain_control()->Enable(true), "agc");
  } else {
    check(apm->voice_detection()->set_frame_size_ms(10), "vad frame");
    check(apm->voice_detection()->Enable(true), "vad");
  }
  const int frame = in.rate / 100;
  const size_t nf = (in.n + frame - 1) / frame;
  std::vector<int16_t> out(nf * frame);
  std::string labels;
  webrtc::AudioFrame cap, far;
  for (size_t i = 0; i < nf; i++) {
    size_t s = i * frame;
    cap.sample_rate_hz_ = in.rate;
    cap.num_channels_ = 1;
    cap.samples_per_channel_ = frame;
    for (int k = 0; k < frame; k++) cap.data_[k] = s + k < in.n ? in.pcm[s + k] : 0;
    if (tool == "aec") {
      far.sample_rate_hz_ = in.rate;
      far.num_channels_ = 1;
      far.samples_per_channel_ = frame;
      for (int k = 0; k < frame; k++) far.data_[k] = s + k < ref.n ? ref.pcm[s + k] : 0;
      check(apm->AnalyzeReverseStream(&far), "AnalyzeReverseStream");
      check(apm->set_stream_delay_ms(0), "set_stream_delay_ms");
    }
    check(apm->ProcessStream(&cap), "ProcessStream");
    if (tool == "vad") {
      labels += apm->voice_detection()->stream_has_voice() ? "1\n" : "0\n";
    } else {
      for (int k = 0; k < frame; k++) out[s + k] = cap.data_[k];
    }
  }
  if (tool == "vad") {
    FILE* f = fopen(o.out, "w");
    if (!f) {
      perror(o.out);
      return 1;
    }
    fwrite(labels.data(), 1, labels.size(), f);
    return fclose(f) ? 1 : 0;
  }
  return wav_write(o.out, out.data(), in.n, in.rate) ? 1 : 0;
}
