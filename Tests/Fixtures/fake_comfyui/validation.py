"""Prompt validation, following execution.py validate_prompt and validate_inputs.

The error dicts (type, message, details, extra_info) and the node_errors layout are the ones
ComfyUI's execution.py gives. Validation converts literal inputs in place (INT, FLOAT, STRING,
BOOLEAN, {"__value__": …}), as ComfyUI does, so the queued prompt carries converted values.
"""

import logging
import sys
import traceback

log = logging.getLogger("fake_comfyui")


def is_link(obj):
    return (isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], str)
            and isinstance(obj[1], (int, float)))


def full_type_name(klass):
    if klass.__module__ == "builtins":
        return klass.__qualname__
    return klass.__module__ + "." + klass.__qualname__


def get_input_info(class_inputs, name):
    for category in ("required", "optional"):
        if name in class_inputs.get(category, {}):
            spec = class_inputs[category][name]
            return spec[0], category, (spec[1] if len(spec) > 1 else {})
    return None, None, None


def validate_node_input(received_type, input_type):
    if received_type == input_type:
        return True
    if not isinstance(received_type, str) or not isinstance(input_type, str):
        return False
    if received_type == "*" or input_type == "*":
        return True
    received = {t.strip() for t in received_type.split(",")}
    return bool(received & {t.strip() for t in input_type.split(",")})


def _validate_fn_args(fn):
    code = fn.__func__.__code__ if hasattr(fn, "__func__") else fn.__code__
    names = list(code.co_varnames[:code.co_argcount])
    return names, bool(code.co_flags & 0x08)


def validate_inputs(classes, prompt, item, validated):
    unique_id = item
    if unique_id in validated:
        return validated[unique_id]
    inputs = prompt[unique_id]["inputs"]
    obj_class = classes[prompt[unique_id]["class_type"]]
    class_inputs = obj_class.INPUT_TYPES()
    valid_inputs = list(class_inputs.get("required", {})) + list(class_inputs.get("optional", {}))
    errors, valid = [], True
    validate_args, validate_kwargs = [], False
    if hasattr(obj_class, "VALIDATE_INPUTS"):
        validate_args, validate_kwargs = _validate_fn_args(obj_class.VALIDATE_INPUTS)

    for x in valid_inputs:
        input_type, category, extra_info = get_input_info(class_inputs, x)
        if x not in inputs:
            if category == "required":
                errors.append({"type": "required_input_missing", "message": "Required input is missing",
                               "details": f"{x}", "extra_info": {"input_name": x}})
            continue
        val = inputs[x]
        info = (input_type, extra_info)
        if isinstance(val, list):
            if len(val) != 2:
                errors.append({"type": "bad_linked_input",
                               "message": "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                               "details": f"{x}", "extra_info": {"input_name": x, "input_config": info,
                                                                 "received_value": val}})
                continue
            o_id = val[0]
            received_type = classes[prompt[o_id]["class_type"]].RETURN_TYPES[val[1]]
            if not validate_node_input(received_type, input_type):
                errors.append({"type": "return_type_mismatch",
                               "message": "Return type mismatch between linked nodes",
                               "details": f"{x}, received_type({received_type}) mismatch input_type({input_type})",
                               "extra_info": {"input_name": x, "input_config": info,
                                              "received_type": received_type, "linked_node": val}})
                continue
            try:
                r = validate_inputs(classes, prompt, o_id, validated)
                if r[0] is False:
                    valid = False
                    continue
            except Exception as ex:
                typ, _, tb = sys.exc_info()
                valid = False
                validated[o_id] = (False, [{
                    "type": "exception_during_inner_validation",
                    "message": "Exception when validating inner node", "details": str(ex),
                    "extra_info": {"input_name": x, "input_config": info, "exception_message": str(ex),
                                   "exception_type": full_type_name(typ),
                                   "traceback": traceback.format_tb(tb), "linked_node": val}}], o_id)
                continue
        else:
            try:
                if isinstance(val, dict) and "__value__" in val:
                    val = inputs[x] = val["__value__"]
                converter = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}.get(
                    input_type if isinstance(input_type, str) else None)
                if converter is not None:
                    val = inputs[x] = converter(val)
            except Exception as ex:
                errors.append({"type": "invalid_input_type",
                               "message": f"Failed to convert an input value to a {input_type} value",
                               "details": f"{x}, {val}, {ex}",
                               "extra_info": {"input_name": x, "input_config": info, "received_value": val,
                                              "exception_message": str(ex)}})
                continue
            if x not in validate_args and not validate_kwargs:
                if "min" in extra_info and val < extra_info["min"]:
                    errors.append({"type": "value_smaller_than_min",
                                   "message": "Value {} smaller than min of {}".format(val, extra_info["min"]),
                                   "details": f"{x}", "extra_info": {"input_name": x, "input_config": info,
                                                                     "received_value": val}})
                    continue
                if "max" in extra_info and val > extra_info["max"]:
                    errors.append({"type": "value_bigger_than_max",
                                   "message": "Value {} bigger than max of {}".format(val, extra_info["max"]),
                                   "details": f"{x}", "extra_info": {"input_name": x, "input_config": info,
                                                                     "received_value": val}})
                    continue
                if isinstance(input_type, list) and val not in input_type:
                    big = len(input_type) > 20
                    errors.append({"type": "value_not_in_list", "message": "Value not in list",
                                   "details": f"{x}: '{val}' not in "
                                              + (f"(list of length {len(input_type)})" if big else str(input_type)),
                                   "extra_info": {"input_name": x, "input_config": None if big else info,
                                                  "received_value": val}})
                    continue

    if validate_args or validate_kwargs:
        filtered = {x: inputs[x] for x in inputs
                    if get_input_info(class_inputs, x)[1] is not None and not is_link(inputs[x])
                    and (x in validate_args or validate_kwargs)}
        r = obj_class.VALIDATE_INPUTS(**filtered)
        for x in filtered:
            if r is not True:
                details = f"{x}" + ("" if r is False else f" - {r}")
                errors.append({"type": "custom_validation_failed", "message": "Custom validation failed for node",
                               "details": details, "extra_info": {"input_name": x}})

    ret = (False, errors, unique_id) if errors or valid is not True else (True, [], unique_id)
    validated[unique_id] = ret
    return ret


def _bad_node_error(version, x, node, class_type, missing_class):
    """The 400 error for a node without class_type or with an unknown class."""
    if version == "0.3.64":
        message = ("Cannot execute because a node is missing the class_type property." if missing_class
                   else f"Cannot execute because node {class_type} does not exist.")
        return {"type": "invalid_prompt", "message": message, "details": f"Node ID '#{x}'", "extra_info": {}}
    meta = node.get("_meta") if isinstance(node.get("_meta"), dict) else {}
    if missing_class:
        title = meta.get("title")
        message = (f"Node '{title or '#' + str(x)}' has no class_type. "
                   "The workflow may be corrupted or a custom node is missing.")
    else:
        title = meta.get("title", class_type)
        message = f"Node '{title}' not found. The custom node may not be installed."
    return {"type": "missing_node_type", "message": message, "details": f"Node ID '#{x}'",
            "extra_info": {"node_id": x, "class_type": class_type, "node_title": title}}


def validate_prompt(classes, prompt, partial_execution_list, version):
    """(valid, error, good_outputs, node_errors), as execution.validate_prompt."""
    outputs = set()
    for x in prompt:
        if "class_type" not in prompt[x]:
            return False, _bad_node_error(version, x, prompt[x], None, True), [], {}
        class_ = classes.get(prompt[x]["class_type"])
        if class_ is None:
            return False, _bad_node_error(version, x, prompt[x], prompt[x]["class_type"], False), [], {}
        if getattr(class_, "OUTPUT_NODE", False) is True:
            if partial_execution_list is None or x in partial_execution_list:
                outputs.add(x)
    if not outputs:
        return False, {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "",
                       "extra_info": {}}, [], {}

    good_outputs, errors, node_errors, validated = [], [], {}, {}
    for o in sorted(outputs, key=node_order):
        try:
            valid, reasons, _ = validate_inputs(classes, prompt, o, validated)
        except Exception as ex:
            typ, _, tb = sys.exc_info()
            valid = False
            reasons = [{"type": "exception_during_validation", "message": "Exception when validating node",
                        "details": str(ex), "extra_info": {"exception_type": full_type_name(typ),
                                                           "traceback": traceback.format_tb(tb)}}]
            validated[o] = (False, reasons, o)
        if valid is True:
            good_outputs.append(o)
            continue
        log.error("Failed to validate prompt for output %s", o)
        errors.append((o, reasons))
        for node_id, result in validated.items():
            if result[0] is not True and result[1]:
                if node_id not in node_errors:
                    node_errors[node_id] = {"errors": result[1], "dependent_outputs": [],
                                            "class_type": prompt[node_id]["class_type"]}
                node_errors[node_id]["dependent_outputs"].append(o)

    if not good_outputs:
        details = "\n".join(f"{e['message']}: {e['details']}" for _, reasons in errors for e in reasons)
        return False, {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                       "details": details, "extra_info": {}}, [], node_errors
    return True, None, good_outputs, node_errors


def node_order(node_id):
    return (0, int(node_id), "") if str(node_id).isdigit() else (1, 0, str(node_id))
