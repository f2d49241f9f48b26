# Shared by the resumable benchmark tables (quantization_table.sh, pruning_table.sh): sourced, with
# $stage set to the stage asked for.

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
want() { [[ $stage == all || $stage == "$1" ]]; }

# Runs "$@" writing $target only when $target is missing (the command writes it atomically).
make_once() {
  local target=$1
  shift
  if [[ -e $target ]]; then return 0; fi
  say "$target"
  "$@"
}

# A training run (train / prune) writes its model after every improving epoch, so the model's
# existence does not mean the run finished: TARGET.done does. A run with a checkpoint resumes.
train_once() {
  local target=$1
  shift
  if [[ -e $target.done ]]; then return 0; fi
  say "$target"
  local resume=()
  [[ -e ${target%.gramlite}.ckpt ]] && resume=(--resume)
  "$@" "${resume[@]}" && touch "$target.done"
}
