"""Importing decks into the real Anki backend (the `anki` package), as a user's Anki does."""
from __future__ import annotations

import os
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as UpdateCondition


def import_deck(col: Collection, path: Path):
    request = ImportAnkiPackageRequest(
        package_path=os.path.abspath(path),
        options=ImportAnkiPackageOptions(
            merge_notetypes=False,
            update_notes=UpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            update_notetypes=UpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            with_scheduling=False, with_deck_configs=False))
    log = col.import_anki_package(request).log
    col.models._clear_cache()  # the Python-side cache does not see backend imports
    return log


def render(col: Collection, card_id: int) -> tuple[str, str]:
    card = col.get_card(card_id)
    return card.question(), card.answer()
