# Python-Fu side of the GIMP integration test (GIMP 2.10's Python 2), run by
# gimp-batch.sh through python-fu-eval with out_dir defined: stylizes a
# plasma layer with the test model and exports it before and after.
from gimpfu import pdb, RGB, RGBA_IMAGE, LAYER_MODE_NORMAL


def export(image, layer, name):
    path = out_dir + "/" + name + ".png"
    pdb.file_png_save2(image, layer, path, path, 0, 9, 0, 0, 0, 0, 0, 0, 1)


image = pdb.gimp_image_new(64, 48, RGB)
layer = pdb.gimp_layer_new(image, 64, 48, RGBA_IMAGE, "python", 100, LAYER_MODE_NORMAL)
pdb.gimp_image_insert_layer(image, layer, None, 0)
pdb.plug_in_plasma(image, layer, 5, 2.5)
export(image, layer, "python-in")
pdb.plug_in_comicgan_stylize(image, layer, "test-ink", 1.0, 0, 0, 0)
export(image, layer, "python-out")
pdb.gimp_image_delete(image)
