"""Data: manifests and the one sample table (:mod:`~core.data.manifest`, :mod:`~core.data.samples`),
media decoding by modality kind (:mod:`~core.data.kinds`, :mod:`~core.data.media`), decoded tensors and
batches, the dataset sources that import the field's benchmarks (:mod:`~core.data.sources`) and the
media roots a user has approved (:mod:`~core.data.trust`).

Each name is imported on first use (:mod:`core.exports`), so importing one module never loads the others.
"""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.data.dataset_info import read_dataset_info
    from core.data.kinds import get_kind
    from core.data.manifest import ManifestError, load_manifest
    from core.data.media import MediaError, VideoClip, load_vector, open_video, read_audio, resample
    from core.data.prepare import format_exclusions
    from core.data.preview import still_picture
    from core.data.samples import Exclusion, Samples
    from core.data.sources import SOURCES
    from core.data.sources.base import Option
    from core.data.sources.writer import import_dataset
    from core.data.trust import approve_media_root, approved_media_roots, check_media_root
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "dataset_info": ("read_dataset_info",),
            "kinds": ("get_kind",),
            "manifest": ("ManifestError", "load_manifest"),
            "media": ("MediaError", "VideoClip", "load_vector", "open_video", "read_audio", "resample"),
            "prepare": ("format_exclusions",),
            "preview": ("still_picture",),
            "samples": ("Exclusion", "Samples"),
            "sources": ("SOURCES",),
            "sources.base": ("Option",),
            "sources.writer": ("import_dataset",),
            "trust": ("approve_media_root", "approved_media_roots", "check_media_root"),
        },
    )
