"""The settings panel that every tab reads: its controls, keyed by ``Settings`` field names (which also name
the API parameters), the models of the preset chosen, and a rule file checked as soon as it is uploaded
(``PoseApp.check_rule_file``)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from pose_demo.app.core import PoseApp, described_for_api
from pose_demo.app.language import Localised, language, ui
from pose_demo.app.loaded_models import place
from pose_demo.app.settings import (
    DEFAULT_RULES,
    DEFAULT_SHOW,
    DETECTORS,
    FOCUS,
    KEYPOINT_MODELS,
    PRESET_LABELS,
    SHOW,
    SMOOTHING,
    THICKNESS_RANGE,
    Settings,
    preset_models,
)
from pose_demo.exercises.schema import ExerciseCatalog
from pose_demo.i18n import title_in

RULE_FILE_API = (
    "Optional: a YAML rule file (handle_file(path)); its rules replace `rules`. See docs/rules.md."
)


def _choices(labels: dict[str, str]) -> list[tuple[Any, str]]:
    """Radio or dropdown choices from ``value -> catalog key of its label``."""
    return [(ui(key), value) for value, key in labels.items()]


def exercise_choices(lang: str) -> list[tuple[Any, str]]:
    """The exercise menu's choices: off, recognised, then every exercise of the built-in catalog."""
    fixed = [(ui("ui.choice.exercise.off"), ""), (ui("ui.choice.exercise.auto"), "auto")]
    return fixed + [(title_in(e.title, lang), e.id) for e in ExerciseCatalog.load("default").exercises]


def exercise_menu(
    settings: dict[str, gr.components.Component], elem_id: str, localised: Localised
) -> gr.Dropdown:
    """A tab's exercise menu (the Video and Webcam tabs), all of them one setting of the session: choosing
    in one sets ``settings["exercise"]`` (a state), which sets the others."""
    shared = settings["exercise"]
    menu = gr.Dropdown(
        exercise_choices("en"),
        value="",
        label=ui("ui.settings.exercise"),
        info=ui("ui.settings.exercise.info"),
        elem_id=elem_id,
    )
    localised.append((menu, lambda lang: gr.update(choices=exercise_choices(lang))))
    # (through the queue: Gradio tells the page that a state changed only in the queue's messages)
    menu.input(lambda chosen: chosen, inputs=[menu], outputs=[shared], api_visibility="private")
    shared.change(lambda chosen: chosen, inputs=[shared], outputs=[menu], api_visibility="private")
    return menu


def settings_panel(app: PoseApp, localised: Localised) -> dict[str, gr.components.Component]:
    """The shared settings accordion; its components keyed by ``Settings`` field names. The exercise is
    chosen on the tabs that count repetitions (``exercise_menu``): here it is the session's state."""
    d = Settings()

    def rule_choices(lang: str) -> list[tuple[str, str]]:
        return [(f"{title_in(r.title, lang)} ({r.id})", r.id) for r in app.catalog.rules]

    with gr.Accordion(ui("ui.settings"), open=False, elem_id="settings"):
        with gr.Row():
            with gr.Column(scale=1):
                preset = gr.Radio(
                    _choices(PRESET_LABELS),
                    value=d.preset,
                    label=ui("ui.settings.preset"),
                    info=ui("ui.settings.preset.info"),
                    elem_id="preset",
                )
                preset_status = gr.Markdown(elem_id="preset-status")
            detector = gr.Dropdown(
                _choices(DETECTORS),
                value=d.detector,
                label=ui("ui.settings.detector"),
                info=ui(f"ui.settings.runs_on.{place(app.models.runs_on)}"),
                elem_id="detector",
            )
            keypoint_model = gr.Dropdown(
                _choices(KEYPOINT_MODELS), value=d.keypoint_model, label=ui("ui.settings.keypoints")
            )
            det_threshold = gr.Slider(
                0.05, 0.95, d.analysis.det_threshold, step=0.05, label=ui("ui.settings.det_threshold")
            )
            kp_threshold = gr.Slider(
                0.05,
                0.95,
                d.kp_threshold,
                step=0.05,
                label=ui("ui.settings.kp_threshold"),
                info=ui("ui.settings.kp_threshold.info"),
            )

        def preset_changed(chosen: str, request: gr.Request) -> tuple[str, str, str]:
            return preset_models(chosen, app.models.model_dir, language(request))

        preset.change(
            preset_changed,
            inputs=[preset],
            outputs=[detector, keypoint_model, preset_status],
            api_visibility="private",
        )
        with gr.Row():
            smoothing = gr.Radio(
                _choices(SMOOTHING), value=d.analysis.smoothing, label=ui("ui.settings.smoothing")
            )
            strength = gr.Slider(0.0, 1.0, d.analysis.strength, step=0.05, label=ui("ui.settings.strength"))
            with gr.Column():
                focus = gr.Radio(_choices(FOCUS), value=d.analysis.focus, label=ui("ui.settings.focus"))
                person = gr.Number(
                    0,  # nobody chosen (an initial value: the API parameter is optional)
                    precision=0,
                    minimum=0,
                    label=ui("ui.settings.person"),
                    info=ui("ui.settings.person.info"),
                    elem_id="person",
                )
            enhance = gr.Checkbox(
                d.analysis.enhance,
                label=ui("ui.settings.enhance"),
                info=ui("ui.settings.enhance.info"),
            )
        with gr.Row():
            rules = gr.Dropdown(
                rule_choices("en"),
                value=list(DEFAULT_RULES),
                multiselect=True,
                label=ui("ui.settings.rules"),
                scale=3,
            )
            with gr.Column(scale=1):
                rule_file = described_for_api(
                    gr.File(
                        file_types=[".yaml", ".yml"],
                        label=ui("ui.settings.rule_file"),
                        elem_id="rule-file",
                    ),
                    RULE_FILE_API,
                )
                rule_status = gr.Markdown(elem_id="rule-file-status")
        # The session's classifiers (the Teach tab's): a rule file may name them; the tabs judge their rules.
        classifiers = gr.State()
        rule_file.upload(
            app.check_rule_file,
            inputs=[rule_file, classifiers],
            outputs=[rule_file, rules, rule_status],
            api_visibility="private",
        )
        rule_file.clear(
            app.check_rule_file,
            inputs=[rule_file, classifiers],
            outputs=[rule_file, rules, rule_status],
            api_visibility="private",
        )
        with gr.Row():
            thickness = gr.Slider(*THICKNESS_RANGE, d.thickness, step=0.25, label=ui("ui.settings.thickness"))
            show = gr.CheckboxGroup(
                [(ui(f"ui.choice.show.{value.replace(' ', '_')}"), value) for value in SHOW],
                value=list(DEFAULT_SHOW),
                label=ui("ui.settings.show"),
            )
    localised.append((rules, lambda lang: gr.update(choices=rule_choices(lang))))
    return {
        "exercise": gr.State(""),
        "preset": preset,
        "detector": detector,
        "keypoint_model": keypoint_model,
        "det_threshold": det_threshold,
        "kp_threshold": kp_threshold,
        "smoothing": smoothing,
        "strength": strength,
        "rules": rules,
        "rule_file": rule_file,
        "thickness": thickness,
        "show": show,
        "focus": focus,
        "person": person,
        "enhance": enhance,
        "classifiers": classifiers,
    }
