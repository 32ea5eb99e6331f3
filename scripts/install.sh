#!/usr/bin/env bash
# hecha 离线安装：在办公室的电脑上，从解开的安装包文件夹里运行。
#
#   sudo ./install.sh                      装到 /opt/hecha，命令 /usr/local/bin/hecha，数据库在 /var/lib/hecha
#   sudo ./install.sh --head lizhuren --clerk wangfang --clerk zhangli
#                                          再建账号（用拼音）：负责人是普通命令行；录入员 SSH 登录就进 hecha
#   ./install.sh --prefix ~/hecha --bin ~/bin --data ~/hecha-data --group ""     不用 root，装给自己用
#
# 选项：--prefix 程序目录  --bin 命令目录  --data 数据库目录  --group 用户组（"" 不建组）
#       --python 指定 Python（3.10 或更新）  --clerk 录入员账号  --head 负责人账号  --no-doctor 不运行检查
# 再次运行就是升级，没写的选项沿用上次的（记在 程序目录/install.conf）。升级先备份数据库，再装新版、升级
# 数据库结构，每一行都保留；安装包比数据库旧（降级）时拒绝，什么都不改。最后运行 hecha doctor。
# 退出状态：0 成功，1 失败（原因和办法在最后一行）。
set -euo pipefail
umask 022

KIT="$(cd "$(dirname "$0")" && pwd)"
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1
DOCTOR=1 CLERKS=() HEADS=()
unset PREFIX BIN DATA GROUP PYTHON  # given, else as the last install, else the defaults below

die() { echo "安装失败：$*" >&2; exit 1; }
say() { echo "== $*"; }
nonempty() { [ -n "$2" ] || die "$1 不能是空的"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix|--bin|--data|--group|--python|--clerk|--head)
      [ $# -ge 2 ] || die "$1 后面要跟一个值（看帮助：./install.sh --help）" ;;
  esac
  case "$1" in
    --prefix) nonempty "$1" "$2"; PREFIX="$2"; shift 2 ;;
    --bin) nonempty "$1" "$2"; BIN="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --group) GROUP="$2"; shift 2 ;;
    --python) nonempty "$1" "$2"; PYTHON="$2"; shift 2 ;;
    --clerk) nonempty "$1" "$2"; CLERKS+=("$2"); shift 2 ;;
    --head) nonempty "$1" "$2"; HEADS+=("$2"); shift 2 ;;
    --no-doctor) DOCTOR=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "不认识的选项 $1（看帮助：./install.sh --help）" ;;
  esac
done
if [ -z "${PREFIX+x}" ]; then
  if [ $ROOT = 1 ]; then PREFIX=/opt/hecha; else PREFIX="$HOME/.local/opt/hecha"; fi
fi
case "$PREFIX" in /*) ;; *) PREFIX="$(pwd)/$PREFIX" ;; esac
if [ -f "$PREFIX/install.conf" ]; then  # the last install's choices, for what is not given now
  # shellcheck disable=SC1091
  { last() { [ -n "${!1+x}" ] || printf -v "$1" '%s' "$2"; }; source "$PREFIX/install.conf"; } \
    || die "$PREFIX/install.conf 读不了：删掉它，把选项写全再运行"
fi
if [ $ROOT = 1 ]; then
  : "${BIN=/usr/local/bin}" "${DATA=/var/lib/hecha}" "${GROUP=hecha}"
else
  : "${BIN=$HOME/.local/bin}" "${DATA=}" "${GROUP=}"
fi
: "${PYTHON=}"
for v in BIN DATA; do
  case "${!v}" in ""|/*) ;; *) printf -v "$v" '%s' "$(pwd)/${!v}" ;; esac
done

# ---------------------------------------------------------------- the kit
[ -f "$KIT/VERSION" ] && [ -d "$KIT/wheels" ] && [ -f "$KIT/SHA256SUMS" ] \
  || die "$KIT 不是完整的安装包（缺 VERSION、wheels 或 SHA256SUMS）：请在解开的 hecha-kit-版本 文件夹里运行 ./install.sh。"
VERSION="$(cat "$KIT/VERSION")"

# ---------------------------------------------------------------- Python 3.10 or newer
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true; }
new_enough() { "$1" -c 'import sys; sys.exit(not (sys.version_info >= (3, 10)))' 2>/dev/null; }
# installed for a group (root): the accounts must be able to run it (not a Python under /root)
for_everyone() {
  [ $ROOT = 1 ] && [ -n "$GROUP" ] || return 0
  command -v runuser >/dev/null && id nobody >/dev/null 2>&1 || return 0
  (cd / && runuser -u nobody -- "$1" -c 'import encodings, sqlite3, venv' >/dev/null 2>&1)
}
if [ -z "$PYTHON" ]; then  # the newest Python the kit was made for, else any 3.10 or newer
  usable=()
  for candidate in python3.13 python3.12 python3.11 python3.10 python3 /usr/bin/python3 /usr/local/bin/python3; do
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    new_enough "$path" && for_everyone "$path" && usable+=("$path")
  done
  for candidate in ${usable[@]+"${usable[@]}"}; do
    if grep -q "^$(version_of "$candidate") " "$KIT/TARGETS"; then PYTHON="$candidate"; break; fi
  done
  [ -n "$PYTHON" ] || PYTHON="${usable[0]:-}"
fi
if [ -z "$PYTHON" ] || ! new_enough "$PYTHON"; then
  probe="${PYTHON:-python3}"
  found="$(version_of "$probe")"
  die "本机的 Python（$probe）是 ${found:-无}，hecha 需要 3.10 或更新。办法：装发行版里较新的 Python 包（如 sudo apt install python3.11；
  统信 UOS / 麒麟 V10 在应用商店或 yum/apt 里找 python3.10 以上），或把系统升级到自带 3.10 以上的版本（Debian 12、
  Ubuntu 22.04、openEuler 22.03、CentOS Stream 9）；装好后用 --python /usr/bin/python3.11 再运行本脚本。"
fi
PYVER="$(version_of "$PYTHON")"
[[ "$PYVER" =~ ^3\.[0-9]+$ ]] || die "$PYTHON 不是能用的 Python：用 --python 指定 python3.10 或更新的程序。"
for_everyone "$PYTHON" || die "$PYTHON 只有 root 能运行（它在 $(dirname "$(readlink -f "$PYTHON")")，别的账号进不去）：
  录入员会登录不了。请用系统的 Python，例如 --python /usr/bin/python3。"
"$PYTHON" -c 'import venv, sqlite3' 2>/dev/null \
  || die "$PYTHON 缺少 venv 或 sqlite3 模块：请装发行版的 python${PYVER}-venv 包（Debian/Ubuntu：sudo apt install python${PYVER}-venv）。"

# ---------------------------------------------------------------- the kit's files: every one listed and unchanged
"$PYTHON" - "$KIT" <<'EOF' || die "安装包的文件和校验值（SHA256SUMS）对不上：U 盘上的文件不完整或被改过，请重新拷一份安装包。"
import hashlib, pathlib, sys
kit = pathlib.Path(sys.argv[1])
listed = {}
for line in (kit / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
    digest, _, name = line.partition("  ")
    listed[name] = digest
present = {str(p.relative_to(kit)) for p in kit.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
bad = sorted(present ^ set(listed)) + sorted(
    n for n in present & set(listed) if hashlib.sha256((kit / n).read_bytes()).hexdigest() != listed[n]
)
for name in bad[:10]:
    print("  " + name, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
grep -q "^$PYVER " "$KIT/TARGETS" || say "提示：安装包是为 Python $(cut -d' ' -f1 "$KIT/TARGETS" | sort -u | tr '\n' ' ')做的，本机是 $PYVER，下面试试看"

# ---------------------------------------------------------------- one install at a time
mkdir -p "$PREFIX" 2>/dev/null || die "不能建立程序目录 $PREFIX（权限？只读？）：换一个 --prefix，或用 sudo 运行。"
[ -w "$PREFIX" ] || die "程序目录 $PREFIX 不能写：换一个 --prefix，或用 sudo 运行。"
if command -v flock >/dev/null; then
  exec 9>"$PREFIX/.install.lock"
  flock -n 9 || die "另一个 install.sh 正在往 $PREFIX 安装：等它结束再运行。"
fi

# ---------------------------------------------------------------- the office's database: looked at before anything changes
DB="" HAVE=0 KNOWS=0 SAVED=""
if [ -n "$DATA" ]; then
  [ ! -e "$DATA" ] || [ -d "$DATA" ] || die "--data $DATA 是个文件，不是文件夹：换一个数据库目录。"
  DB="$DATA/hecha.sqlite"
else  # no data folder of its own: the launcher leaves hecha on its default database, which is this one
  DB="${XDG_DATA_HOME:-$HOME/.local/share}/hecha/hecha.sqlite"
fi
if [ -e "$DB" ]; then  # what is there: a hecha database, intact, of which schema
  HAVE="$("$PYTHON" - "$DB" <<'EOF'
import sqlite3, sys, urllib.parse
path = sys.argv[1]
try:
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            sys.exit("不是 SQLite 数据库")
    con = sqlite3.connect("file:" + urllib.parse.quote(path) + "?mode=ro", uri=True)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version == 0 or not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'office'").fetchone():
        sys.exit("不是 hecha 的数据库")
    check = con.execute("PRAGMA quick_check(1)").fetchone()[0]
except (OSError, sqlite3.Error) as exc:
    sys.exit(f"打不开（{exc}）")
print(version if check == "ok" else f"damaged {version}")
EOF
)" || die "$DB 不能升级（见上一行）：它不是本单位的 hecha 数据库就请移走它；是的话用备份恢复后再安装。什么都没改。"
fi
DAMAGED=0
case "$HAVE" in damaged*) DAMAGED=1; HAVE="${HAVE#damaged }" ;; esac
if [ -f "$KIT/SCHEMA" ] && [ -e "$DB" ] && [ "$HAVE" -gt "$(cat "$KIT/SCHEMA")" ]; then
  die "数据库 $DB 是第 $HAVE 版结构，这个安装包的 hecha $VERSION 只认到第 $(cat "$KIT/SCHEMA") 版：不能降级，什么都没改。请用与现在相同或更新的安装包。"
fi

# ---------------------------------------------------------------- the office's data folder
protect_data() {
  # the group's clerks share the database and write its -wal; nobody else reads it (an older release
  # wrote 0644 files: put right here, as hecha refuses a database that others can read)
  if [ -n "$GROUP" ]; then
    chgrp -R "$GROUP" "$DATA" && find "$DATA" -type d -exec chmod 2770 {} + && find "$DATA" -type f -exec chmod g+rw,o-rwx {} +
  elif [ -n "$DATA" ]; then
    chmod -R go-rwx "$DATA"
  fi
}
if [ -n "$DATA" ]; then
  if [ -n "$GROUP" ]; then
    [ $ROOT = 1 ] || die "建用户组 $GROUP 要 root：用 sudo 运行，或加 --group \"\" 装给自己用。"
    getent group "$GROUP" >/dev/null || groupadd --system "$GROUP" || die "建用户组 $GROUP 失败（组名用字母、数字）"
  fi
  mkdir -p "$DATA" 2>/dev/null || die "不能建立数据库目录 $DATA（权限？只读？）：换一个 --data。"
  protect_data 2>/dev/null || die "不能设置 $DATA 的权限（只读？）：换一个 --data。"
fi

# ---------------------------------------------------------------- what is installed now
# each install is its own environment, $PREFIX/hecha-<version>-<time>; $PREFIX/current points at the one in use
# (a virtual environment cannot be moved: its scripts name its own path)
OLD="" PREVIOUS=""
if [ -x "$PREFIX/current/bin/python" ]; then
  PREVIOUS="$(readlink -f "$PREFIX/current")"
  OLD="$("$PREFIX/current/bin/python" -c 'from importlib.metadata import version; print(version("hecha"))' 2>/dev/null)" \
    || OLD="?"
fi
mkdir -p "$BIN" 2>/dev/null && [ -w "$BIN" ] || die "命令目录 $BIN 不能写：换一个 --bin，或用 sudo 运行。"

# ---------------------------------------------------------------- the new program, beside the old one
NEW="$PREFIX/hecha-$VERSION-$(date -u +%Y%m%dT%H%M%S)-$$"
trap 'rm -rf "$NEW"' EXIT  # a failed or stopped install leaves nothing half-made
"$PYTHON" -m venv --without-pip "$NEW" || die "不能在 $PREFIX 建立 Python 环境（权限？磁盘满？）"
PIPWHEEL="$(ls "$KIT"/wheels/pip-*.whl | tail -n 1)"
say "安装 hecha $VERSION（Python $PYVER，$NEW）…"
if ! PIP_CONFIG_FILE=/dev/null "$NEW/bin/python" "$PIPWHEEL/pip" install --isolated --no-index --no-cache-dir \
     --disable-pip-version-check -q --find-links "$KIT/wheels" "hecha==$VERSION" 2>"$PREFIX/install-error.log"; then
  die "程序包装不上（详情在 $PREFIX/install-error.log）：安装包里可能没有适合本机（$(uname -m)，Python $PYVER）的文件。
  请在联网的电脑上运行 bash dev.sh kit 重新做安装包（它包括 x86_64 和 aarch64、Python 3.10–3.13）。"
fi
rm -f "$PREFIX/install-error.log"
NEWVER="$VERSION"
KNOWS="$("$NEW/bin/python" -c 'from storage.db import SCHEMA_VERSION; print(SCHEMA_VERSION)')"

# ---------------------------------------------------------------- the database: refuse a downgrade, back up, migrate
if [ -e "$DB" ]; then
  if [ "$HAVE" -gt "$KNOWS" ]; then
    die "数据库 $DB 是第 $HAVE 版结构，这个安装包的 hecha $NEWVER 只认到第 $KNOWS 版：不能降级，什么都没改（仍是 hecha ${OLD:-?}）。请用与现在相同或更新的安装包。"
  fi
  KEPT="$(dirname "$DB")/backups"
  mkdir -p "$KEPT" || die "不能在 $(dirname "$DB") 建 backups 文件夹"
  SAVED="$KEPT/hecha-$(date -u +%Y%m%dT%H%M%S)-before-install-${OLD:-none}-to-$NEWVER.sqlite"
  "$PYTHON" -c 'import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst); dst.close(); src.close()' "$DB" "$SAVED" || die "备份数据库失败（磁盘满？），没有升级，什么都没改。"
  if [ -n "$DATA" ]; then protect_data; else chmod -R go-rwx "$KEPT"; fi
  say "已备份数据库：$SAVED"
  if [ "$HAVE" -lt "$KNOWS" ]; then
    if [ $DAMAGED = 1 ]; then
      say "注意：数据库 $DB 检查发现损坏，没有升级它的结构：请先用备份恢复（hecha restore backups 里的文件）"
    # by the new program, before it is switched in: a failure leaves the old one in use (a migration
    # stopped part-way may have committed its first steps: the backup above is the database as it was)
    elif ! HECHA_DB="$DB" "$NEW/bin/hecha" --db "$DB" migrate; then
      die "数据库结构升级失败（原因见上），仍用原来的程序（hecha ${OLD:-无}）。若它打不开数据库了，用升级前的备份恢复：hecha restore $SAVED"
    fi
  fi
fi

# ---------------------------------------------------------------- switch: the previous program stays until the next install
ln -sfn "$NEW" "$PREFIX/current.new" && mv -T "$PREFIX/current.new" "$PREFIX/current" || die "不能切换到新版（$PREFIX 只读？）"
trap - EXIT
for stale in "$PREFIX"/hecha-*; do  # compared as files (-ef), not as strings: a symlinked prefix
  [ "$stale" -ef "$NEW" ] || { [ -n "$PREVIOUS" ] && [ "$stale" -ef "$PREVIOUS" ]; } || rm -rf "$stale"
done
LAUNCHER="$BIN/hecha"
{
  echo '#!/bin/sh'
  echo "# hecha（install.sh 写的）：程序在 $PREFIX/current${DATA:+，本单位数据库 $DB}"
  [ -n "$DATA" ] && printf 'HECHA_DB="${HECHA_DB:-%s}"; export HECHA_DB\n' "$DB"
  printf 'exec "%s/current/bin/hecha" "$@"\n' "$PREFIX"
} > "$LAUNCHER.new" && chmod 755 "$LAUNCHER.new" && mv "$LAUNCHER.new" "$LAUNCHER" || die "不能写命令 $LAUNCHER"
{
  printf '# install.sh 记下的选项（再次运行时没写的沿用这些）\n'
  for v in BIN DATA GROUP PYTHON; do printf 'last %s %q\n' "$v" "${!v}"; done
} > "$PREFIX/install.conf"

if [ -z "$OLD" ]; then say "已安装 hecha $NEWVER"
elif [ "$OLD" = "$NEWVER" ]; then say "已重新安装 hecha $NEWVER"
elif [ "$(printf '%s\n%s\n' "$OLD" "$NEWVER" | sort -V | tail -n 1)" = "$NEWVER" ]; then say "已从 hecha $OLD 升级到 $NEWVER"
else say "已换成较旧的 hecha $NEWVER（原来是 $OLD）"; fi

# ---------------------------------------------------------------- accounts
profile_block() {  # $1: autostart (1) or not (0)
  echo "# >>> hecha（install.sh 写的）"
  echo 'case "${LANG:-}" in *UTF-8*|*utf8*) ;; *) export LANG=C.UTF-8 ;; esac'
  echo "case \":\$PATH:\" in *\":$BIN:\"*) ;; *) PATH=\"$BIN:\$PATH\" ;; esac"
  if [ "$1" = 1 ]; then
    echo '# SSH 登录直接进 hecha，退出 hecha 就退出登录（scp 传文件不受影响）；hecha 出错时先停下，看清再退出'
    echo "if [ -n \"\${SSH_TTY:-}\" ]; then"
    echo "  \"$LAUNCHER\"; status=\$?"
    echo "  if [ \$status -ne 0 ]; then printf '\\nhecha 出错退出（见上面的说明）。按回车键退出登录…'; read -r _; fi"
    echo "  exit \$status"
    echo "fi"
  fi
  echo "# <<< hecha"
}
account() {  # $1 name, $2 autostart
  local name="$1" home profile
  [ $ROOT = 1 ] || die "建账号 $name 要 root（sudo ./install.sh --clerk $name）"
  [ -n "$GROUP" ] || die "账号要加入数据库的用户组：不能和 --group \"\" 一起用"
  [[ "$name" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "账号名 $name 不行：用小写拼音字母、数字和下划线（如 wangfang）"
  if ! id "$name" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$name" || die "建账号 $name 失败"
    say "已建账号 $name：请运行 passwd $name 设密码"
  fi
  usermod -aG "$GROUP" "$name"
  home="$(getent passwd "$name" | cut -d: -f6)"
  # bash reads the first of these it finds; sh reads .profile (CentOS and Kylin make .bash_profile)
  for profile in "$home/.bash_profile" "$home/.profile"; do
    [ -e "$profile" ] || [ "$profile" = "$home/.profile" ] || continue
    touch "$profile"
    sed -i '/^# >>> hecha/,/^# <<< hecha/d' "$profile"
    profile_block "$2" >> "$profile"
    chown "$name": "$profile"
  done
  say "账号 $name 已加入用户组 $GROUP$([ "$2" = 1 ] && echo '，SSH 登录直接进 hecha')"
}
# (${a[@]+"${a[@]}"}: bash 4.2, CentOS 7's, calls an empty array unbound under set -u)
for name in ${CLERKS[@]+"${CLERKS[@]}"}; do account "$name" 1; done
for name in ${HEADS[@]+"${HEADS[@]}"}; do account "$name" 0; done

# ---------------------------------------------------------------- check
case ":$PATH:" in *":$BIN:"*) ;; *) say "提示：$BIN 不在 PATH 里；用 $LAUNCHER，或把它加进 PATH" ;; esac
if [ "$DOCTOR" = 1 ]; then
  say "hecha doctor："
  "$LAUNCHER" doctor || true  # advice, not a failed install: the office reads it
fi
exit 0
