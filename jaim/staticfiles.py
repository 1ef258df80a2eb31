"""The production static files storage: WhiteNoise's compressed, hashed (manifest) files.

The PDF style sheets name the PDF renderer's own URL schemes (`jaim-font:`, `jaim-static:`, see fees.pdf): those are
not files to hash, and must stay as written for the renderer's fetcher."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

PDF_SCHEMES = ("jaim-font:", "jaim-static:")


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            if (matchobj.groupdict().get("url") or "").startswith(PDF_SCHEMES):
                return matchobj.group(0)
            return convert(matchobj)

        return converter
